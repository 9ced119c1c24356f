// The player of a media: HLS (hls.js, or the browser's own) when the media has a master playlist, else the
// best file the browser plays; subtitles as <track>, a thumbnails VTT sprite as hover previews. Private files
// are read by signed URLs (signed.ts); a signed master plays its whole HLS package.
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatDuration } from '../ui';
import { useViewUrl, viewUrl } from './signed';
import { KindIcon } from './thumb';
import { type Media, type MediaFile, mediaName, originalOf } from './types';

export const HLS_TYPES = ['application/vnd.apple.mpegurl', 'application/x-mpegurl', 'audio/mpegurl'];

export function isHlsMaster(f: MediaFile): boolean {
  return (
    HLS_TYPES.includes((f.type ?? '').toLowerCase()) ||
    /\.m3u8$/i.test(f.filename ?? '') ||
    /\.m3u8(\?|$)/i.test(f.url)
  );
}

function ready(f: MediaFile): boolean {
  return (f.status ?? 'ready') === 'ready';
}

/** The file to play when there is no HLS package: the original if the browser plays it, else another. */
function playable(m: Media, kind: 'video' | 'audio'): MediaFile | undefined {
  const probe = document.createElement(kind);
  const files = m.files.filter((f) => f.kind === kind && ready(f) && !isHlsMaster(f) && f.object !== 'track');
  const orig = originalOf(m);
  const ordered = orig && files.includes(orig) ? [orig, ...files.filter((f) => f !== orig)] : files;
  return ordered.find((f) => probe.canPlayType(f.type) !== '') ?? ordered[0];
}

interface SpriteCue {
  start: number;
  end: number;
  url: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

function seconds(t: string): number {
  const parts = t.trim().split(':').map(Number);
  return parts.reduce((acc, p) => acc * 60 + p, 0);
}

/** A thumbnails WebVTT: "00:00:00.000 --> 00:00:05.000" then "sprite.jpg#xywh=0,0,160,90". */
export function parseSpriteVtt(text: string, base: string): SpriteCue[] {
  const cues: SpriteCue[] = [];
  const blocks = text.replace(/\r/g, '').split(/\n\n+/);
  for (const b of blocks) {
    const lines = b.split('\n').filter(Boolean);
    const i = lines.findIndex((l) => l.includes('-->'));
    if (i < 0 || !lines[i + 1]) continue;
    const [from, to] = lines[i].split('-->');
    const target = lines[i + 1].trim();
    const [ref, frag = ''] = target.split('#');
    const m = /xywh=(\d+),(\d+),(\d+),(\d+)/.exec(frag);
    let url: string;
    try {
      url = new URL(ref, base).toString();
    } catch {
      continue;
    }
    cues.push({
      start: seconds(from),
      end: seconds(to.split(' ').filter(Boolean)[0] ?? '0'),
      url,
      x: m ? Number(m[1]) : 0,
      y: m ? Number(m[2]) : 0,
      w: m ? Number(m[3]) : 160,
      h: m ? Number(m[4]) : 90,
    });
  }
  return cues;
}

/** A bar under the video: hovering shows the sprite frame of that moment, clicking seeks there. */
function ScrubBar(props: { video: HTMLVideoElement | null; vtt: MediaFile; duration: number }) {
  const [cues, setCues] = useState<SpriteCue[]>([]);
  const [hover, setHover] = useState<{ x: number; t: number } | null>(null);
  const bar = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      const vttUrl = await viewUrl(props.vtt.url);
      const r = await fetch(vttUrl);
      const parsed = parseSpriteVtt(r.ok ? await r.text() : '', props.vtt.url);
      // the sprite is a file of its own: signed by itself when private
      const sprites = new Map<string, string>();
      for (const c of parsed) if (!sprites.has(c.url)) sprites.set(c.url, await viewUrl(c.url));
      if (live) setCues(parsed.map((c) => ({ ...c, url: sprites.get(c.url) ?? c.url })));
    })().catch(() => {});
    return () => {
      live = false;
    };
  }, [props.vtt.url]);
  const duration = props.duration || cues[cues.length - 1]?.end || 0;
  if (!cues.length || !duration) return null;
  const at = (e: MouseEvent) => {
    const r = bar.current?.getBoundingClientRect();
    if (!r) return null;
    const x = Math.max(0, Math.min(r.width, e.clientX - r.left));
    return { x, t: (x / r.width) * duration };
  };
  const cue = hover
    ? (cues.find((c) => hover.t >= c.start && hover.t < c.end) ?? cues[cues.length - 1])
    : null;
  return (
    <div class="scrub">
      {hover && cue && (
        <div
          class="scrub-preview"
          data-testid="scrub-preview"
          style={{
            left: `${hover.x}px`,
            width: `${cue.w}px`,
            height: `${cue.h}px`,
            backgroundImage: `url("${cue.url.replace(/"/g, '%22')}")`,
            backgroundPosition: `-${cue.x}px -${cue.y}px`,
          }}
        >
          <span class="scrub-time">{formatDuration(hover.t)}</span>
        </div>
      )}
      <div
        ref={bar}
        class="scrub-bar"
        aria-hidden="true"
        onMouseMove={(e) => setHover(at(e))}
        onMouseLeave={() => setHover(null)}
        onClick={(e) => {
          const p = at(e);
          if (p && props.video) props.video.currentTime = p.t;
        }}
      />
      <span class="muted scrub-hint">Hover the bar for previews ({cues.length} thumbnails)</span>
    </div>
  );
}

function SubtitleTrack(props: { file: MediaFile; label: string }) {
  const src = useViewUrl(props.file.url);
  if (!src) return null;
  return <track kind="subtitles" src={src} srclang={props.file.language ?? undefined} label={props.label} />;
}

function AudioPlayer(props: { media: Media; file: MediaFile }) {
  const src = useViewUrl(props.file.url);
  return (
    <div class="player">
      {/* biome-ignore lint/a11y/useMediaCaption: user media; captions are listed as files */}
      <audio controls preload="metadata" src={src} data-testid="audio" aria-label={mediaName(props.media)} />
    </div>
  );
}

function ImageView(props: { media: Media; file: MediaFile }) {
  const src = useViewUrl(props.file.url);
  return (
    <div class="player">
      {src && <img src={src} alt={props.media.alt ?? mediaName(props.media)} data-testid="image" />}
    </div>
  );
}

function VideoPlayer(props: { media: Media }) {
  const m = props.media;
  const ref = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  const master = m.files.find((f) => isHlsMaster(f) && ready(f));
  const file = master ? undefined : playable(m, 'video');
  const subtitles = m.files.filter((f) => f.kind === 'subtitles' && f.type === 'text/vtt' && ready(f));
  const thumbs = m.files.find((f) => f.kind === 'thumbnails' && f.type === 'text/vtt' && ready(f));
  const poster = useViewUrl(m.urls?.poster);
  const masterUrl = useViewUrl(master?.url);
  const fileUrl = useViewUrl(file?.url);
  const src = master?.url ?? file?.url;

  useEffect(() => {
    const v = ref.current;
    setVideo(v);
    setError(null);
    if (!v || !masterUrl) return;
    // hls.js (most of the bundle's weight) loads only when a media has a stream to play
    let stop: (() => void) | undefined;
    let cancelled = false;
    import('hls.js').then(
      ({ default: Hls }) => {
        if (cancelled) return;
        if (Hls.isSupported()) {
          const hls = new Hls({ enableWorker: true });
          hls.on(Hls.Events.ERROR, (_e, d) => {
            if (d.fatal) setError(`The stream could not play (${d.details}).`);
          });
          hls.loadSource(masterUrl);
          hls.attachMedia(v);
          stop = () => hls.destroy();
        } else if (v.canPlayType('application/vnd.apple.mpegurl')) {
          v.src = masterUrl;
          stop = () => {
            v.removeAttribute('src');
            v.load();
          };
        } else setError('This browser cannot play HLS.');
      },
      () => !cancelled && setError('The HLS player could not be loaded.'),
    );
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [masterUrl]);

  if (!src) return <p class="muted">No playable video file yet.</p>;
  return (
    <div class="player">
      {/* biome-ignore lint/a11y/useMediaCaption: user media; its subtitle files are added as tracks */}
      <video
        ref={ref}
        controls
        playsInline
        preload="metadata"
        crossOrigin="anonymous"
        poster={poster}
        src={master ? undefined : fileUrl}
        data-testid="video"
        data-source={master ? 'hls' : 'file'}
        aria-label={mediaName(m)}
        onError={() => !master && setError('The video could not be loaded.')}
      >
        {subtitles.map((s, i) => (
          <SubtitleTrack key={s.id} file={s} label={s.label ?? s.language ?? `Subtitles ${i + 1}`} />
        ))}
      </video>
      {thumbs && <ScrubBar video={video} vtt={thumbs} duration={m.duration ?? 0} />}
      {error && (
        <p class="error-note" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export function Player(props: { media: Media }) {
  const m = props.media;
  if (m.kind === 'video') return <VideoPlayer media={m} />;
  if (m.kind === 'audio') {
    const f = playable(m, 'audio');
    return f ? <AudioPlayer media={m} file={f} /> : <p class="muted">No playable audio file yet.</p>;
  }
  if (m.kind === 'image') {
    const f = originalOf(m);
    return f ? <ImageView media={m} file={f} /> : null;
  }
  return (
    <div class="player empty">
      <KindIcon kind={m.kind} />
      <p class="muted">Nothing to play: this media has no file yet.</p>
    </div>
  );
}
