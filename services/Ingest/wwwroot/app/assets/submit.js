// The submit page: a resumable upload (tus 1.0, tus-js-client, against /v1/uploads), then a job naming it as upload:<id>.
import { api, csrfHeaders } from './api.js';

const ChunkBytes = 256 * 1024; // each PATCH carries at most this much, so a lost connection costs little
const progress = document.getElementById('upload-progress');
const status = document.getElementById('upload-status');
const submitButton = document.getElementById('submit-job');
const form = document.getElementById('job-form');
let uploadId = null;

function upload(file) {
  if (!window.tus) {
    status.textContent = 'Uploads are not available on this server (tus-js-client is not installed): ask your administrator to run scripts/setup.sh.';
    return;
  }
  uploadId = null;
  submitButton.disabled = true;
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
      uploadId = tusUpload.url.split('/').pop();
      progress.value = 100;
      status.dataset.state = 'uploaded';
      status.textContent = `Uploaded ${file.name}: upload:${uploadId}. Choose the job's options and submit it.`;
      submitButton.disabled = false;
    },
  });
  // A file chosen again after a failure continues the upload the server already holds part of.
  tusUpload.findPreviousUploads().then((previous) => {
    if (previous.length) tusUpload.resumeFromPreviousUpload(previous[0]);
    status.dataset.state = 'uploading';
    tusUpload.start();
  });
}

const dropZone = document.getElementById('drop-zone');
dropZone.addEventListener('dragover', (event) => { event.preventDefault(); dropZone.classList.add('over'); });
dropZone.addEventListener('dragleave', () => dropZone.classList.remove('over'));
dropZone.addEventListener('drop', (event) => {
  event.preventDefault();
  dropZone.classList.remove('over');
  if (event.dataTransfer.files.length) upload(event.dataTransfer.files[0]);
});
document.getElementById('file').addEventListener('change', (event) => {
  if (event.target.files.length) upload(event.target.files[0]);
});

// The options of the kind chosen; retargeting needs an actor of the studio's.
for (const radio of form.elements.kind) {
  radio.addEventListener('change', () => {
    const retarget = form.elements.kind.value === 'retarget';
    document.getElementById('track-options').hidden = retarget;
    document.getElementById('retarget-options').hidden = !retarget;
  });
}
api('/v1/actors').then((actors) => {
  const select = document.getElementById('actor');
  const list = actors.items ?? actors;
  select.replaceChildren(...list.filter((a) => a.latestReadyVersion != null).map((a) => new Option(a.name, a.id)));
}).catch(() => {});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const fields = new FormData();
  if (form.elements.kind.value === 'retarget') {
    fields.append('kind', 'retarget');
    fields.append('source', `upload:${uploadId}`);
    fields.append('actor', form.elements.actor.value);
    fields.append('intensity', form.elements.intensity.value);
  } else {
    fields.append('kind', 'track');
    fields.append('clip', `upload:${uploadId}`);
    fields.append('maxFaces', form.elements.maxFaces.value);
  }
  const said = document.getElementById('submit-status');
  try {
    submitButton.disabled = true;
    const job = await api('/v1/jobs', { method: 'POST', body: fields });
    location.assign(`/app/jobs/${job.id}`);
  } catch (error) {
    said.textContent = error.message;
    submitButton.disabled = false;
  }
});
