// TODO(webapp): this page is being written.
import { PageHeader } from '../ui';

export function KeysPage() {
  return <PageHeader title="KeysPage" />;
}
