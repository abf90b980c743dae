// A batch: its counts, each shot's stages and failure, its ETA, live over the batch's event stream; pause, resume,
// retry the failed shots, cancel, and its outputs.zip.
import { api, follow, stageBar, duration, when, say, factList } from './api.js';

const batchId = location.pathname.split('/').pop();
const States = ['queued', 'running', 'completed', 'failed', 'cancelled'];
let stream = null;

function show(batch) {
  const name = batch.name ?? batch.id;
  document.title = `${name} · FacePipeline`;
  document.querySelector('h1').textContent = `Batch: ${name}`;
  const fact = factList('facts');
  fact('State', batch.paused && !batch.ended ? `${batch.state} (paused)` : batch.state);
  fact('Shots ended', `${batch.shotsEnded} of ${batch.shotCount}`);
  fact('Class and priority', `${batch.class}, ${batch.priority}`);
  fact('Submitted', when(batch.createdAt));
  if (batch.ended) fact('Ended', when(batch.endedAt));
  else fact('ETA', batch.etaReason ?? duration(batch.etaSeconds));

  document.getElementById('counts').replaceChildren(...States.map((state) => {
    const item = document.createElement('li');
    item.dataset.state = state;
    item.textContent = `${state}: ${batch.counts[state] ?? 0}`;
    return item;
  }));
  const shots = document.getElementById('shots');
  shots.tBodies[0].replaceChildren(...batch.shots.map(shotRow));
  shots.dataset.state = batch.state;

  document.getElementById('pause').hidden = batch.ended || batch.paused;
  document.getElementById('resume').hidden = batch.ended || !batch.paused;
  document.getElementById('retry-failed').hidden = (batch.counts.failed ?? 0) === 0;
  document.getElementById('cancel').hidden = batch.ended;
  document.getElementById('download').href = batch.outputsUrl;
}

function shotRow(shot) {
  const row = document.createElement('tr');
  row.id = `shot-${shot.shot}`;
  row.dataset.state = shot.state;
  const link = document.createElement('a');
  link.href = `/app/jobs/${shot.jobId}`;
  link.textContent = shot.shot;
  row.insertCell().append(link);
  row.insertCell().textContent = shot.kind;
  row.insertCell().textContent = shot.state;
  row.insertCell().append(...(shot.stages ?? []).map(stageBar));
  row.insertCell().textContent = String(shot.attempts);
  row.insertCell().textContent = shot.failure ? shot.failure.reason : '';
  return row;
}

// Events come per chunk of every shot: refresh once at a time, and once more if more came meanwhile.
let refreshing = null;
let refreshAgain = false;
async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = api(`/v1/batches/${batchId}`).then((batch) => {
    show(batch);
    return batch;
  });
  try {
    return await refreshing;
  } finally {
    refreshing = null;
    if (refreshAgain) {
      refreshAgain = false;
      refresh().catch((error) => say(error.message));
    }
  }
}

/** Follows the batch while it runs (again after a retry: its stream ended with the batch's first end). */
function followWhileRunning(batch) {
  if (batch.ended || (stream && stream.readyState !== EventSource.CLOSED)) return;
  stream = follow(`/v1/batches/${batchId}/events`, () => refresh().catch((error) => say(error.message)));
}

// Each button is named as its call: POST /v1/batches/{id}/<action>, which answers the batch.
for (const action of ['pause', 'resume', 'retry-failed', 'cancel']) {
  document.getElementById(action).addEventListener('click', async () => {
    try {
      const batch = await api(`/v1/batches/${batchId}/${action}`, { method: 'POST' });
      show(batch);
      followWhileRunning(batch);
    } catch (error) {
      say(error.message);
    }
  });
}

refresh()
  .then(followWhileRunning)
  .catch((error) => say(error.message));
