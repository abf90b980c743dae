#!/usr/bin/env node
// Test-only: uploads a file to the Ingest API's tus endpoint with the official tus client (tus-js-client 4.3.1, from
// package.json + package-lock.json beside this script, installed by scripts/setup.sh into .data/tus-client).
//
//   node upload.mjs --endpoint http://127.0.0.1:PORT/v1/uploads --key fp_... --file clip.mp4
//                   [--chunk-size BYTES] [--stop-after BYTES] [--store urls.json] [--resume]
//
// --stop-after: abort the upload once the server has accepted at least that many bytes (an interrupted upload).
// --store: the client's URL storage (tus-js-client's FileUrlStorage), so that a later run with --resume finds the
//   upload by the file's fingerprint (findPreviousUploads) and resumes it (resumeFromPreviousUpload).
// Prints one JSON object to stdout:
//   { "url": "...", "completed": true|false, "offset": <bytes the server accepted>,
//     "requests": [ { "method": "PATCH", "url": "...", "uploadOffset": "65536" }, ... ] }
// Settings (environment): FACEPIPE_TUS_CLIENT, the folder with node_modules/tus-js-client (default <repo>/.data/tus-client).
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const clientDir = resolve(process.env.FACEPIPE_TUS_CLIENT || join(repo, '.data', 'tus-client'));
if (!existsSync(join(clientDir, 'node_modules', 'tus-js-client'))) {
  console.error(`upload.mjs: ${clientDir}/node_modules/tus-js-client is missing; run scripts/setup.sh`);
  process.exit(2);
}

const args = { chunkSize: Infinity, stopAfter: 0, store: null, resume: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const value = () => argv[++i];
  switch (argv[i]) {
    case '--endpoint': args.endpoint = value(); break;
    case '--key': args.key = value(); break;
    case '--file': args.file = value(); break;
    case '--chunk-size': args.chunkSize = Number(value()); break;
    case '--stop-after': args.stopAfter = Number(value()); break;
    case '--store': args.store = value(); break;
    case '--resume': args.resume = true; break;
    default: console.error(`upload.mjs: unknown argument ${argv[i]}`); process.exit(2);
  }
}
if (!args.endpoint || !args.key || !args.file) {
  console.error('usage: node upload.mjs --endpoint URL --key API_KEY --file PATH [--chunk-size N] [--stop-after N] [--store FILE] [--resume]');
  process.exit(2);
}

const tus = createRequire(join(clientDir, 'package.json'))('tus-js-client');
const requests = [];
let offset = 0;

function finish(completed) {
  process.stdout.write(JSON.stringify({ url: upload.url, completed, offset, requests }) + '\n');
  process.exit(0);
}

const options = {
  endpoint: args.endpoint,
  chunkSize: args.chunkSize,
  headers: { 'X-Api-Key': args.key },
  metadata: { filename: basename(args.file), filetype: 'video/mp4' },
  removeFingerprintOnSuccess: true,
  retryDelays: null, // a refusal fails the run at once, where the test sees it
  onBeforeRequest(req) {
    requests.push({ method: req.getMethod(), url: req.getURL(), uploadOffset: req.getHeader('Upload-Offset') ?? null });
  },
  onChunkComplete(_chunkSize, bytesAccepted) {
    offset = bytesAccepted;
    if (args.stopAfter > 0 && bytesAccepted >= args.stopAfter && bytesAccepted < upload.file.length) {
      upload.abort().then(() => finish(false));
    }
  },
  onSuccess() {
    offset = upload.file.length;
    finish(true);
  },
  onError(error) {
    console.error(`upload.mjs: ${error}`);
    process.exit(1);
  },
};
if (args.store) {
  options.urlStorage = new tus.FileUrlStorage(args.store);
}
const upload = new tus.Upload(readFileSync(args.file), options);

if (args.resume) {
  const previous = await upload.findPreviousUploads();
  if (previous.length === 0) {
    console.error('upload.mjs: --resume found no previous upload of this file in the URL storage');
    process.exit(1);
  }
  upload.resumeFromPreviousUpload(previous[0]);
}
upload.start();
