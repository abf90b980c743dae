// Resumable uploads (tus 1.0, tus-js-client, against /v1/uploads) for every page that takes clips: a drop zone, a
// progress bar and a status line per upload, and the completed upload's id to name as upload:<id> in a job or a manifest.
import { csrfHeaders } from './api.js';

const ChunkBytes = 256 * 1024; // each PATCH carries at most this much, so a lost connection costs little
const OfflineRetryMs = 5000; // a lost connection the browser did not notice: how often to try again

/**
 * Uploads a file, showing its progress on the <progress> and its state on the status element (data-state: uploading,
 * offline, resuming, failed, uploaded); calls onUploaded(id, file) once the server holds all of it.
 */
export function uploadClip(file, { progress, status, onUploaded }) {
  if (!window.tus) {
    status.dataset.state = 'failed';
    status.textContent = 'Uploads are not available on this server (tus-js-client is not installed): ask your administrator to run scripts/setup.sh.';
    return;
  }
  const tusUpload = new window.tus.Upload(file, {
    endpoint: new URL('/v1/uploads', location.href).href, // absolute: tus-js-client resolves the upload's Location against it
    chunkSize: ChunkBytes,
    retryDelays: [0, 1000, 3000, 5000],
    headers: csrfHeaders,
    metadata: { filename: file.name },
    removeFingerprintOnSuccess: true,
    onProgress(sent, total) {
      progress.value = Math.floor((100 * sent) / total);
      progress.dataset.bytes = String(sent);
      status.textContent = `Uploading ${file.name}: ${progress.value} % (${sent} of ${total} bytes).`;
    },
    onError(error) {
      // No HTTP answer at all: the connection failed, not the server (tus-js-client has given up its own retries, or
      // does not retry while the browser says it is offline). Go on from the server's offset once the connection is
      // back: at the browser's 'online' event, or, where the browser never noticed it was offline (a VPN or a proxy
      // dropping), by trying again every few seconds.
      if (!error.originalResponse) {
        status.dataset.state = 'offline';
        status.textContent = `The connection was lost at ${progress.value} %: the upload goes on by itself when it is back.`;
        const resume = () => { status.dataset.state = 'resuming'; tusUpload.start(); };
        if (navigator.onLine) setTimeout(resume, OfflineRetryMs);
        else window.addEventListener('online', resume, { once: true });
        return;
      }
      status.dataset.state = 'failed';
      status.textContent = `The upload failed: ${error.message}. Choose the file again to resume it.`;
    },
    onSuccess() {
      const id = tusUpload.url.split('/').pop();
      progress.value = 100;
      status.dataset.state = 'uploaded';
      status.dataset.reference = `upload:${id}`;
      status.textContent = `Uploaded ${file.name}: upload:${id}.`;
      onUploaded(id, file);
    },
  });
  // A file chosen again after a failure continues the upload the server already holds part of.
  tusUpload.findPreviousUploads().then((previous) => {
    if (previous.length) tusUpload.resumeFromPreviousUpload(previous[0]);
    status.dataset.state = 'uploading';
    delete status.dataset.reference;
    tusUpload.start();
  });
}

/** Calls onFiles with the files dropped on the zone or chosen with its file input. */
export function dropZone(zone, input, onFiles) {
  zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    if (event.dataTransfer.files.length) onFiles([...event.dataTransfer.files]);
  });
  input.addEventListener('change', () => {
    if (input.files.length) onFiles([...input.files]);
  });
  // A file chosen before this script ran (a slow connection, a loaded machine: the input is on the page before its
  // module) fired its 'change' with no one listening: take it now rather than ignore it.
  if (input.files.length) onFiles([...input.files]);
}
