// whisper.cpp: the invocation as built, run against a stub executable that writes whisper.cpp's real `-oj`
// JSON (the format of whisper-cli 1.7, recorded from `whisper-cli -m ggml-base.en.bin -f jfk.wav -oj`).
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { RequestBudget } from '../../src/ai/types.js';
import { parseWhisperJson, WhisperCppSpeechToText, whisperArgs } from '../../src/ai/whisper-cpp.js';
import { ffmpeg, tempDir } from '../media/helpers.js';

const tmp = tempDir('mediary-whisper-');
afterAll(() => tmp.cleanup());

const RECORDED = {
  systeminfo:
    'AVX = 1 | AVX2 = 1 | AVX512 = 0 | FMA = 1 | NEON = 0 | ARM_FMA = 0 | F16C = 1 | SSE3 = 1 | SSSE3 = 1 |',
  model: {
    type: 'base',
    multilingual: false,
    vocab: 51864,
    audio: { ctx: 1500, state: 512, head: 8, layer: 6 },
    text: { ctx: 448, state: 512, head: 8, layer: 6 },
    mels: 80,
    ftype: 1,
  },
  params: { model: 'models/ggml-base.en.bin', language: 'en', translate: false },
  result: { language: 'en' },
  transcription: [
    {
      timestamps: { from: '00:00:00,000', to: '00:00:07,600' },
      offsets: { from: 0, to: 7600 },
      text: ' And so my fellow Americans, ask not what your country can do for you,',
    },
    {
      timestamps: { from: '00:00:07,600', to: '00:00:10,600' },
      offsets: { from: 7600, to: 10600 },
      text: ' ask what you can do for your country.',
    },
    {
      timestamps: { from: '00:00:10,600', to: '00:00:11,000' },
      offsets: { from: 10600, to: 11000 },
      text: ' [BLANK_AUDIO]',
    },
  ],
};

describe('whisper.cpp', () => {
  it('builds the invocation', () => {
    expect(whisperArgs('/m/ggml-base.bin', '/w/a.wav', '/w/out')).toEqual([
      '-m',
      '/m/ggml-base.bin',
      '-f',
      '/w/a.wav',
      '-l',
      'auto',
      '-oj',
      '-of',
      '/w/out',
      '-np',
    ]);
    expect(whisperArgs('/m', '/a.wav', '/o', 'de')).toContain('de');
  });

  it('parses the JSON output, shifted by the window offset, without blank-audio markers', () => {
    const t = parseWhisperJson(JSON.stringify(RECORDED), 600);
    expect(t.language).toBe('en');
    expect(t.segments).toEqual([
      {
        start: 600,
        end: 607.6,
        text: 'And so my fellow Americans, ask not what your country can do for you,',
        confidence: null,
      },
      { start: 607.6, end: 610.6, text: 'ask what you can do for your country.', confidence: null },
    ]);
    expect(() => parseWhisperJson('{"nope": 1}', 0)).toThrow(/transcription/);
  });

  it('runs the binary with a 16 kHz WAV and reads what it wrote', async () => {
    const stub = tmp.path('whisper-cli');
    const argsLog = tmp.path('args.json');
    writeFileSync(
      stub,
      `#!/usr/bin/env node
const fs = require('node:fs');
const a = process.argv.slice(2);
fs.writeFileSync(${JSON.stringify(argsLog)}, JSON.stringify(a));
const wav = fs.readFileSync(a[a.indexOf('-f') + 1]);
if (wav.readUInt32LE(24) !== 16000) { console.error('error: WAV file must be 16 kHz'); process.exit(1); }
fs.writeFileSync(a[a.indexOf('-of') + 1] + '.json', ${JSON.stringify(JSON.stringify(RECORDED))});
`,
    );
    chmodSync(stub, 0o755);
    const model = tmp.path('ggml-base.en.bin');
    writeFileSync(model, 'model');
    const input = tmp.path('input.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'sine=f=300:d=2',
      '-f',
      'lavfi',
      '-i',
      'color=s=64x64:d=2',
      '-shortest',
      '-c:v',
      'libx264',
      '-c:a',
      'aac',
      input,
    ]);
    const engine = new WhisperCppSpeechToText(stub, model);
    expect(await engine.ready()).toBeNull();
    const t = await engine.transcribe(
      { path: input, duration: 2 },
      {
        signal: new AbortController().signal,
        budget: new RequestBudget(1),
        workDir: tmp.dir,
        stallMs: 30_000,
        progress: () => {},
      },
    );
    expect(t.segments).toHaveLength(2);
    const args = JSON.parse(readFileSync(argsLog, 'utf8'));
    expect(args.slice(0, 2)).toEqual(['-m', model]);
    expect(args).toContain('-oj');

    const broken = new WhisperCppSpeechToText(tmp.path('missing-whisper'), model);
    expect(await broken.ready()).toMatch(/MEDIARY_WHISPER_BIN/);
  });
});
