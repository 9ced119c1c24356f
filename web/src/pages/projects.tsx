// TODO(webapp): this page is being written.
import { PageHeader } from '../ui';

export function ProjectsPage() {
  return <PageHeader title="ProjectsPage" />;
}
