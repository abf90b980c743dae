#!/usr/bin/env node
// Test-only reference for FacePipeline's identity embedding: face-api's own FaceRecognitionNet
// (npm @vladmandic/face-api@1.7.15, dist/face-api.node-wasm.js) on TensorFlow.js 4.22.0's pure-JS
// CPU backend (no native addon; the wasm backend is loaded because that dist file requires it, but
// is not used). Weights come from the installed package's model/ folder through face-api's own
// loader (tfjs decodes and dequantizes them), independent of the project's TFJS reader.
//
//   node scripts/identity-reference.mjs CHIP.rgb [CHIP.rgb ...]
//
// Each CHIP.rgb is a raw 150x150 RGB24 chip (67500 bytes). Prints one JSON object to stdout:
//   { "backend": "cpu", "tfjs": "4.22.0", "faceApi": "1.7.15", "descriptors": { "<path>": [128 floats], ... } }
// Settings (environment): FACEPIPE_IDENTITY_REFERENCE, the folder where
// `scripts/fetch-identity-model.sh --reference` installed the npm packages
// (default <repo>/.data/identity-reference).
import { createRequire } from 'node:module';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SIZE = 150;
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const referenceDir = resolve(process.env.FACEPIPE_IDENTITY_REFERENCE || join(repo, '.data', 'identity-reference'));
if (!existsSync(join(referenceDir, 'node_modules', '@vladmandic', 'face-api'))) {
  console.error(`identity-reference: ${referenceDir}/node_modules is missing; run scripts/fetch-identity-model.sh --reference`);
  process.exit(2);
}

const chips = process.argv.slice(2);
if (chips.length === 0) {
  console.error('usage: node scripts/identity-reference.mjs CHIP.rgb [CHIP.rgb ...]  (raw 150x150 RGB24)');
  process.exit(2);
}

// tfjs prints a "use tfjs-node" banner on stdout; keep stdout for the JSON.
const log = console.log;
console.log = (...args) => console.error(...args);

const require = createRequire(join(referenceDir, 'package.json'));
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const { tf } = faceapi;
if (!(await tf.setBackend('cpu'))) {
  throw new Error('tfjs cpu backend unavailable');
}
await tf.ready();
const modelDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);

const descriptors = {};
for (const path of chips) {
  const bytes = readFileSync(path);
  if (bytes.length !== SIZE * SIZE * 3) {
    throw new Error(`${path}: ${bytes.length} bytes, expected ${SIZE}x${SIZE}x3`);
  }
  // A 150x150 tensor goes through toBatchTensor unchanged (no padding, no resize), then float32.
  const input = tf.tensor3d(Int32Array.from(bytes), [SIZE, SIZE, 3], 'int32');
  const descriptor = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(input);
  input.dispose();
  descriptors[path] = Array.from(descriptor);
}

log(JSON.stringify({
  backend: tf.getBackend(),
  tfjs: tf.version_core,
  faceApi: faceapi.version,
  descriptors,
}));
