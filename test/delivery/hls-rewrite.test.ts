import { describe, expect, it } from 'vitest';
import { rewriteMaster, rewriteMediaPlaylist, splitPartPath } from '../../src/services/hls-delivery.js';

const MASTER = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=1,AVERAGE-BANDWIDTH=1,RESOLUTION=2x2,CODECS="avc1.640028,mp4a.40.2",FRAME-RATE=25.000,AUDIO="audio"
720p/index.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,RESOLUTION=2x2,CODECS="avc1.640028",URI="720p/iframes.m3u8"
`;

describe('HLS playlist rewriting', () => {
  it('points the master’s children at the file id, relative to where the master was asked for', () => {
    const out = rewriteMaster(MASTER, 'file_x', 2, null);
    expect(out).toContain('URI="../file_x/audio/index.m3u8"');
    expect(out).toContain('\n../file_x/720p/index.m3u8\n');
    expect(out).toContain('URI="../file_x/720p/iframes.m3u8"');
    expect(rewriteMaster(MASTER, 'file_x', 1, null)).toContain('\nfile_x/720p/index.m3u8\n');
  });

  it('signs every child URI, tags included, with the package query', () => {
    const q = { expiry: 1900000000, signature: 'sig' };
    const out = rewriteMaster(MASTER, 'file_x', 1, q);
    expect(out).toContain('URI="file_x/audio/index.m3u8?expiry=1900000000&signature=sig"');
    expect(out).toContain('\nfile_x/720p/index.m3u8?expiry=1900000000&signature=sig\n');
    const media = rewriteMediaPlaylist(
      '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4,\nseg_00000.m4s\n#EXT-X-ENDLIST\n',
      q,
    );
    expect(media).toBe(
      '#EXTM3U\n#EXT-X-MAP:URI="init.mp4?expiry=1900000000&signature=sig"\n#EXTINF:4,\nseg_00000.m4s?expiry=1900000000&signature=sig\n#EXT-X-ENDLIST\n',
    );
    expect(rewriteMediaPlaylist('#EXTM3U\nseg.m4s\n', null)).toBe('#EXTM3U\nseg.m4s\n');
  });

  it('recognises part paths and nothing else', () => {
    expect(splitPartPath('streams/clip.m3u8/720p/seg_00001.m4s')).toEqual({
      packagePath: 'streams/clip.m3u8',
      part: '720p/seg_00001.m4s',
    });
    expect(splitPartPath('file_x/audio/index.m3u8')).toEqual({
      packagePath: 'file_x',
      part: 'audio/index.m3u8',
    });
    expect(splitPartPath('720p/seg.m4s')).toBeNull();
    expect(splitPartPath('a/b/c.exe')).toBeNull();
    expect(splitPartPath('a/../seg.m4s')).toBeNull();
  });
});
