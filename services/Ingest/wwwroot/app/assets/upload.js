// Resumable uploads (tus 1.0, tus-js-client, against /v1/uploads) for every page that takes clips: a drop zone, a
// progress bar and a status line per upload, and the completed upload's id to name as upload:<id> in a job or a manifest.
import { csrfHeaders } from './api.js';

const ChunkBytes = 256 * 1024; // each PATCH carries at most this much, so a lost connection costs little

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
      if (!navigator.onLine) {
        // tus-js-client does not retry while offline: resume from the server's offset once the connection is back.
        status.textContent = `The connection was lost at ${progress.value} %: the upload resumes when you are back online.`;
        status.dataset.state = 'offline';
        window.addEventListener('online', () => { status.dataset.state = 'resuming'; tusUpload.start(); }, { once: true });
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
}
