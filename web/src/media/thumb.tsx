// A media's picture in the grid: its automatic poster (media.urls.poster), else a small image itself, else
// an icon for its kind. A private file's picture is read by a signed URL (signed.ts).
import { useEffect, useState } from 'preact/hooks';
import { useViewUrl } from './signed';
import { type Media, originalOf } from './types';

/** Images up to this size are shown as their own thumbnail while they have no poster. */
const SMALL_IMAGE_BYTES = 2_000_000;

const ICONS: Record<string, string> = { video: '🎬', image: '🖼️', audio: '🎵' };

export function KindIcon(props: { kind: string | null }) {
  return (
    <span class="kind-icon" aria-hidden="true">
      {ICONS[props.kind ?? ''] ?? '📄'}
    </span>
  );
}

export function MediaThumb(props: { media: Media }) {
  const m = props.media;
  const orig = originalOf(m);
  const poster = m.urls?.poster;
  const small =
    m.kind === 'image' && orig && orig.filesize <= SMALL_IMAGE_BYTES && (orig.status ?? 'ready') === 'ready'
      ? orig.url
      : undefined;
  const src = useViewUrl(poster ?? small);
  const [broken, setBroken] = useState<string | null>(null);
  useEffect(() => setBroken(null), [src]);
  return (
    <div class="media-thumb" data-testid="media-thumb" data-poster={poster ? 'yes' : 'no'}>
      {src && broken !== src ? (
        <img src={src} alt="" loading="lazy" decoding="async" onError={() => setBroken(src)} />
      ) : (
        <KindIcon kind={m.kind} />
      )}
    </div>
  );
}
