// Submitting a batch: clips uploaded first (each shown with the upload:<id> a manifest names it by), then the manifest
// with the batch's name, class, priority and paused flag to POST /v1/batches; its refusal's sentence is shown as it is.
import { api } from './api.js';
import { uploadClip, dropZone } from './upload.js';

const uploadedList = document.getElementById('uploaded-clips');

/** A list item per file: its own progress and status line, which ends with its upload:<id>. */
function uploadListed(file) {
  const item = document.createElement('li');
  const progress = document.createElement('progress');
  progress.max = 100;
  progress.value = 0;
  progress.setAttribute('aria-label', `${file.name} upload progress`);
  const status = document.createElement('span');
  status.className = 'upload-status';
  status.setAttribute('role', 'status');
  status.textContent = `${file.name}: waiting.`;
  item.append(progress, ' ', status);
  uploadedList.append(item);
  uploadClip(file, {
    progress,
    status,
    onUploaded(id) {
      const reference = document.createElement('code');
      reference.textContent = `upload:${id}`;
      status.replaceChildren(`${file.name}: `, reference);
    },
  });
}
dropZone(document.getElementById('drop-zone'), document.getElementById('file'), (files) => files.forEach(uploadListed));

const form = document.getElementById('batch-form');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const said = document.getElementById('batch-status');
  const button = document.getElementById('submit-batch');
  const fields = new FormData();
  fields.append('manifest', form.elements.manifest.files[0]);
  const name = form.elements.name.value.trim();
  if (name) fields.append('name', name);
  fields.append('class', form.elements.class.value);
  if (form.elements.priority.value.trim()) fields.append('priority', form.elements.priority.value.trim());
  fields.append('paused', String(form.elements.paused.checked));
  try {
    button.disabled = true;
    said.textContent = '';
    const batch = await api('/v1/batches', { method: 'POST', body: fields });
    location.assign(`/app/batches/${batch.id}`);
  } catch (error) {
    said.textContent = error.message;
    button.disabled = false;
  }
});
