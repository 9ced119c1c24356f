// TODO(webapp): this page is being written.
import { PageHeader } from '../ui';

export function UsersPage() {
  return <PageHeader title="UsersPage" />;
}
