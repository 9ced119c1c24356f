// TODO(webapp): this page is being written.
import type { Route } from '../router';
import { PageHeader } from '../ui';

export function AutomationsPage(props: { route: Route }) {
  void props;
  return <PageHeader title="AutomationsPage" />;
}
