// TODO(webapp): this page is being written.
import { PageHeader } from '../ui';

export function SettingsPage() {
  return <PageHeader title="SettingsPage" />;
}
