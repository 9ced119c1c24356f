// TODO(webapp): this page is being written.
import { PageHeader } from '../ui';

export function MediaDetailPage(props: { id: string }) {
  void props;
  return <PageHeader title="MediaDetailPage" />;
}
