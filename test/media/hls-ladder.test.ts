import { describe, expect, it } from 'vitest';
import { avcCodecFrom, buildMasterPlaylist, hlsPartType, parseMediaPlaylist } from '../../src/media/hls.js';
import { computeLadder, DEFAULT_LADDER, planHls } from '../../src/media/hls-ladder.js';

const sizes = (l: ReturnType<typeof computeLadder>) => l.renditions.map((r) => `${r.width}x${r.height}`);

describe('computeLadder', () => {
  it.each([
    [1920, 1080, ['1920x1080', '1280x720', '854x480', '640x360', '426x240']],
    [1280, 720, ['1280x720', '854x480', '640x360', '426x240']],
    [640, 360, ['640x360', '426x240']],
    [853, 481, ['852x480', '638x360', '426x240']],
    [1080, 1920, ['1080x1920', '720x1280', '480x854', '360x640', '240x426']],
    [3840, 2160, ['3840x2160', '2560x1440', '1920x1080', '1280x720', '854x480', '640x360', '426x240']],
  ])('%ix%i → %j (never upscaled, even sides, short side is the rung)', (width, height, expected) => {
    expect(sizes(computeLadder({ width, height, fps: 30 }, DEFAULT_LADDER))).toEqual(expected);
  });

  it('a source below every rung gets one rendition of its own (even) size', () => {
    const l = computeLadder({ width: 161, height: 121, fps: 25 });
    expect(sizes(l)).toEqual(['160x120']);
    expect(l.renditions[0].name).toBe('120p');
  });

  it('bitrates come from the rung, scaled for high frame rates and capped by the source', () => {
    const at30 = computeLadder({ width: 1920, height: 1080, fps: 30 });
    const at60 = computeLadder({ width: 1920, height: 1080, fps: 60 });
    expect(at30.renditions[0].bitrate).toBe(4_500_000);
    expect(at60.renditions[0].bitrate).toBe(6_750_000);
    expect(at60.fps).toBe(60);
    const capped = computeLadder({ width: 1920, height: 1080, fps: 30, bitrate: 2_000_000 });
    expect(capped.renditions.map((r) => r.bitrate)).toEqual([
      2_000_000, 2_000_000, 1_200_000, 700_000, 400_000,
    ]);
  });

  it('caps the frame rate and defaults it when unknown', () => {
    expect(computeLadder({ width: 640, height: 360, fps: 120 }).fps).toBe(60);
    expect(computeLadder({ width: 640, height: 360 }).fps).toBe(30);
  });

  it('takes explicit renditions, dropping those above the source and duplicates', () => {
    const l = computeLadder({ width: 1280, height: 720, fps: 30 }, DEFAULT_LADDER, [
      { height: 360, bitrate: 900_000 },
      { height: 1080 },
      { height: 720 },
      { height: 360 },
    ]);
    expect(l.renditions).toEqual([
      { name: '720p', width: 1280, height: 720, bitrate: 2_500_000 },
      { name: '360p', width: 640, height: 360, bitrate: 900_000 },
    ]);
    const none = computeLadder({ width: 640, height: 360 }, DEFAULT_LADDER, [{ height: 1080 }]);
    expect(sizes(none)).toEqual(['640x360']);
  });

  it('reads its rungs from the config passed in', () => {
    const config = { ...DEFAULT_LADDER, rungs: [{ height: 540, bitrate: 1_500_000 }] };
    expect(sizes(computeLadder({ width: 1920, height: 1080, fps: 30 }, config))).toEqual(['960x540']);
  });
});

describe('planHls', () => {
  const ladder = computeLadder({ width: 1280, height: 720, fps: 25 });
  const plan = planHls('/in.mp4', '/out', {
    ladder,
    segmentSeconds: 4,
    segmentFormat: 'fmp4',
    withAudio: true,
    audioBitrate: 128_000,
    preset: 'medium',
    crf: 23,
  });

  it('decodes once and splits into one scaled stream per rendition', () => {
    const graph = plan.args[plan.args.indexOf('-filter_complex') + 1];
    expect(graph.match(/split=4/g)).toHaveLength(1);
    expect(graph).toContain('[s0]scale=1280:720');
    expect(graph).toContain('[s3]scale=426:240');
    expect(plan.args.filter((a) => a === '-i')).toHaveLength(1);
  });

  it('fixes the GOP at the segment length and forces keyframes at segment boundaries', () => {
    const at = (flag: string) => plan.args[plan.args.indexOf(flag) + 1];
    expect(at('-g')).toBe('100');
    expect(at('-keyint_min')).toBe('100');
    expect(at('-sc_threshold')).toBe('0');
    expect(at('-force_key_frames')).toBe('expr:gte(t,n_forced*4)');
    expect(at('-maxrate:v:1')).toBe('1200000');
    expect(at('-hls_segment_type')).toBe('fmp4');
    expect(at('-var_stream_map')).toBe(
      'v:0,agroup:aud,name:720p v:1,agroup:aud,name:480p v:2,agroup:aud,name:360p v:3,agroup:aud,name:240p a:0,agroup:aud,name:audio',
    );
    expect(plan.audioPlaylist).toBe('audio/index.m3u8');
  });

  it('without audio maps no audio and has no audio group', () => {
    const silent = planHls('/in.mp4', '/out', {
      ladder,
      segmentSeconds: 2,
      segmentFormat: 'ts',
      withAudio: false,
      audioBitrate: 128_000,
      preset: 'medium',
      crf: 23,
    });
    expect(silent.args).not.toContain('0:a:0');
    expect(silent.args.join(' ')).not.toContain('agroup');
    expect(silent.args).toContain('mpegts');
    expect(silent.audioPlaylist).toBeNull();
  });
});

describe('playlists', () => {
  it('writes a master with the attributes players budget with', () => {
    const text = buildMasterPlaylist(
      [
        {
          uri: '720p/index.m3u8',
          bandwidth: 2_700_000,
          averageBandwidth: 2_100_000,
          width: 1280,
          height: 720,
          codecs: 'avc1.64001F,mp4a.40.2',
          fps: 25,
        },
      ],
      { uri: 'audio/index.m3u8', channels: 2 },
    );
    expect(text).toContain('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio"');
    expect(text).toContain(
      '#EXT-X-STREAM-INF:BANDWIDTH=2700000,AVERAGE-BANDWIDTH=2100000,RESOLUTION=1280x720,CODECS="avc1.64001F,mp4a.40.2",FRAME-RATE=25.000,AUDIO="audio"\n720p/index.m3u8',
    );
  });

  it('reads a media playlist', () => {
    const facts = parseMediaPlaylist(
      '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.000000,\nseg_00000.m4s\n#EXTINF:1.5,\nseg_00001.m4s\n#EXT-X-ENDLIST\n',
    );
    expect(facts).toEqual({
      init: 'init.mp4',
      duration: 5.5,
      segments: [
        { uri: 'seg_00000.m4s', duration: 4 },
        { uri: 'seg_00001.m4s', duration: 1.5 },
      ],
    });
  });

  it('reads the codec from an avcC box or an Annex B SPS', () => {
    expect(avcCodecFrom(Buffer.from([0, 1, ...Buffer.from('avcC'), 1, 0x64, 0, 0x1f, 0xff]))).toBe(
      'avc1.64001F',
    );
    expect(avcCodecFrom(Buffer.from([9, 0, 0, 1, 0x67, 0x4d, 0x40, 0x1e, 0]))).toBe('avc1.4D401E');
    expect(avcCodecFrom(Buffer.from([1, 2, 3]))).toBeNull();
  });

  it('names content types', () => {
    expect(hlsPartType('720p/index.m3u8')).toBe('application/vnd.apple.mpegurl');
    expect(hlsPartType('720p/seg_00001.m4s')).toBe('video/iso.segment');
    expect(hlsPartType('720p/init.mp4')).toBe('video/mp4');
    expect(hlsPartType('720p/seg_00001.ts')).toBe('video/mp2t');
  });
});
