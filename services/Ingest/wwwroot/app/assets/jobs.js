// The jobs and batches list: newest first, each unfinished one followed live through its event stream.
import { api, follow, stageBar, jobEtaSeconds, duration, when, say } from './api.js';

// A browser opens at most six connections to a host over HTTP/1.1: follow a few streams, never all of them.
const MaxStreams = 4;

async function loadJobs() {
  const page = await api('/v1/jobs?pageSize=50');
  const body = document.querySelector('#jobs tbody');
  body.replaceChildren(...page.items.map(jobRow));
  if (page.items.length === 0) {
    const row = body.insertRow();
    row.insertCell().textContent = 'No jobs yet: submit one.';
  }
  page.items.filter((j) => !j.ended).slice(0, MaxStreams).forEach((job) =>
    follow(`/v1/jobs/${job.id}/events`, async () => {
      const fresh = await api(`/v1/jobs/${job.id}`);
      document.getElementById(`job-${job.id}`)?.replaceWith(jobRow(fresh));
    }));
}

function jobRow(job) {
  const row = document.createElement('tr');
  row.id = `job-${job.id}`;
  const link = document.createElement('a');
  link.href = `/app/jobs/${job.id}`;
  link.textContent = job.shotName ?? job.inputFileName;
  row.insertCell().append(link);
  row.insertCell().textContent = job.kind;
  row.insertCell().textContent = job.state;
  row.insertCell().append(...job.stages.map(stageBar));
  row.insertCell().textContent = duration(jobEtaSeconds(job));
  row.insertCell().textContent = when(job.createdAt);
  return row;
}

async function loadBatches() {
  const page = await api('/v1/batches?pageSize=20');
  const body = document.querySelector('#batches tbody');
  const rows = await Promise.all(page.items.map(async (b) => batchRow(b.ended ? b : await api(`/v1/batches/${b.id}`))));
  body.replaceChildren(...rows);
  if (page.items.length === 0) {
    body.insertRow().insertCell().textContent = 'No batches.';
  }
  page.items.filter((b) => b.state !== 'ended').slice(0, MaxStreams).forEach((batch) =>
    follow(`/v1/batches/${batch.id}/events`, async () => {
      document.getElementById(`batch-${batch.id}`)?.replaceWith(batchRow(await api(`/v1/batches/${batch.id}`)));
    }));
}

function batchRow(batch) {
  const row = document.createElement('tr');
  row.id = `batch-${batch.id}`;
  const link = document.createElement('a');
  link.href = `/app/batches/${batch.id}`;
  link.textContent = batch.name ?? batch.id;
  row.insertCell().append(link);
  row.insertCell().textContent = batch.paused ? `${batch.state} (paused)` : batch.state;
  const bar = document.createElement('progress');
  bar.max = Math.max(batch.shotCount, 1);
  bar.value = batch.shotsEnded;
  bar.setAttribute('aria-label', 'Shots ended');
  row.insertCell().append(bar, ` ${batch.shotsEnded}/${batch.shotCount}`);
  row.insertCell().textContent = batch.etaReason ?? duration(batch.etaSeconds ?? (batch.state === 'ended' ? 0 : null));
  row.insertCell().textContent = when(batch.createdAt);
  return row;
}

Promise.all([loadJobs(), loadBatches()]).catch((error) => say(error.message));
