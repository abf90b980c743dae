// The submit page: the clip's resumable upload (upload.js), then a track job or a retarget job (onto an actor, or onto
// a target clip uploaded the same way) naming the uploads as upload:<id>, with the options POST /v1/jobs takes.
import { api } from './api.js';
import { uploadClip, dropZone } from './upload.js';

const form = document.getElementById('job-form');
const submitButton = document.getElementById('submit-job');
const uploads = { source: null, target: null }; // the completed uploads' ids

const retargeting = () => form.elements.kind.value === 'retarget';
const ontoClip = () => form.elements.onto.value === 'clip';

/** The submit button is live once every clip the chosen job needs is uploaded (and an actor is there to choose). */
function updateReadiness() {
  const missing = !uploads.source
    || (retargeting() && ontoClip() && !uploads.target)
    || (retargeting() && !ontoClip() && !form.elements.actor.value);
  submitButton.disabled = missing;
}

/** A drop zone whose upload fills uploads[role]; its elements' ids start with prefix. */
function clipZone(role, prefix) {
  const progress = document.getElementById(`${prefix}upload-progress`);
  const status = document.getElementById(`${prefix}upload-status`);
  dropZone(document.getElementById(`${prefix}drop-zone`), document.getElementById(`${prefix}file`), ([file]) => {
    uploads[role] = null;
    updateReadiness();
    uploadClip(file, {
      progress,
      status,
      onUploaded(id) {
        uploads[role] = id;
        updateReadiness();
      },
    });
  });
}
clipZone('source', '');
clipZone('target', 'target-');

// The options of the kind chosen, and of what a retarget goes onto.
function showOptions() {
  document.getElementById('track-options').hidden = retargeting();
  document.getElementById('retarget-options').hidden = !retargeting();
  document.getElementById('onto-actor').hidden = ontoClip();
  document.getElementById('onto-clip').hidden = !ontoClip();
  updateReadiness();
}
for (const radio of [...form.elements.kind, ...form.elements.onto]) radio.addEventListener('change', showOptions);

api('/v1/actors').then((actors) => {
  const select = document.getElementById('actor');
  const ready = (actors.items ?? actors).filter((a) => a.latestReadyVersion != null);
  select.replaceChildren(...ready.map((a) => new Option(a.name, a.id)));
  if (ready.length === 0) {
    const none = new Option('No actor has a ready model yet: retarget onto a target clip', '');
    none.disabled = true;
    select.append(none);
  }
  updateReadiness();
}).catch(() => {});

/** The job's form: only the fields the chosen kind takes, an empty one left out (the API's default applies). */
function jobFields() {
  const fields = new FormData();
  const add = (name, value) => { if (value !== '' && value != null) fields.append(name, value); };
  const field = (name) => form.elements[name].value.trim();
  if (retargeting()) {
    add('kind', 'retarget');
    add('source', `upload:${uploads.source}`);
    if (ontoClip()) {
      add('target', `upload:${uploads.target}`);
    } else {
      add('actor', field('actor'));
    }
    for (const name of ['timing', 'intensity', 'mouthGain', 'eyesGain', 'browsGain', 'pose']) add(name, field(name));
    for (const name of ['matte', 'prores', 'prores4444', 'dnxhr']) add(name, String(form.elements[name].checked));
  } else {
    add('kind', 'track');
    add('clip', `upload:${uploads.source}`);
    add('maxFaces', field('maxFaces'));
    add('neutralFrame', field('neutralFrame'));
  }
  add('priority', field('priority'));
  return fields;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const said = document.getElementById('submit-status');
  try {
    submitButton.disabled = true;
    const job = await api('/v1/jobs', { method: 'POST', body: jobFields() });
    location.assign(`/app/jobs/${job.id}`);
  } catch (error) {
    said.textContent = error.message;
    updateReadiness();
  }
});
