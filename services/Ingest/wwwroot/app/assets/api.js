// The pages' one way to the /v1 API: same-origin calls on the session cookie, with the session's CSRF token on every
// change, and a refusal's sentence (the API's "error") thrown as the Error's message.
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';

/** Headers every state-changing call carries (tus-js-client's uploads too). */
export const csrfHeaders = { 'X-CSRF': csrf };

/** Calls the API and returns its JSON (null for an empty answer); throws the API's sentence on a refusal. */
export async function api(path, { method = 'GET', body } = {}) {
  const response = await fetch(path, {
    method,
    body,
    credentials: 'same-origin',
    headers: method === 'GET' ? {} : csrfHeaders,
  });
  if (response.status === 401) {
    location.assign('/app/sign-in');
    throw new Error('Your session has ended: sign in again.');
  }
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new Error(json?.error ?? `The call failed (${response.status}).`);
  }
  return json;
}

/** Follows a job's or a batch's server-sent events; calls onEvent on each, and closes when the stream ends. */
export function follow(path, onEvent) {
  const source = new EventSource(path);
  const types = ['job.queued', 'job.started', 'job.progress', 'job.completed', 'job.failed', 'job.cancelled', 'batch.ended'];
  for (const type of types) {
    source.addEventListener(type, (event) => onEvent(type, event));
  }
  // The stream ends after the job's (or batch's) end; EventSource would reconnect, so stop it there.
  source.onerror = () => source.close();
  return source;
}

/** A stage's progress bar: its name, a <progress> and its figures. */
export function stageBar(stage) {
  const wrap = document.createElement('div');
  wrap.className = 'stage';
  const label = document.createElement('span');
  const percent = stage.framesTotal > 0 ? Math.floor((100 * stage.framesDone) / stage.framesTotal) : (stage.state === 'completed' ? 100 : 0);
  label.textContent = `${stage.name}: ${stage.state}, ${stage.framesDone}/${stage.framesTotal} ${stage.unit}`;
  const bar = document.createElement('progress');
  bar.max = 100;
  bar.value = stage.state === 'completed' ? 100 : percent;
  bar.dataset.stage = stage.name;
  bar.setAttribute('aria-label', `${stage.name} progress`);
  wrap.append(bar, ' ', label);
  return wrap;
}

/** The job's seconds left, from its running stage's rate so far; null when it cannot be told yet. */
export function jobEtaSeconds(job) {
  if (job.ended) return 0;
  const running = job.stages.find((s) => s.state === 'running');
  if (!running || !running.framesDone || !running.seconds) return null;
  const pending = job.stages.filter((s) => s.state === 'pending').length;
  const stageLeft = (running.seconds / running.framesDone) * (running.framesTotal - running.framesDone);
  return pending === 0 ? stageLeft : null;
}

/** Seconds as "1 min 5 s", "–" for unknown. */
export function duration(seconds) {
  if (seconds == null) return '–';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '–';
}

/** Shows a sentence in the page's status line. */
/** Empties the <dl> with this id and returns fact(term, value), which appends a term and its value to it. */
export function factList(id) {
  const facts = document.getElementById(id);
  facts.replaceChildren();
  return (term, value) => {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    facts.append(dt, dd);
  };
}

export function say(text) {
  const status = document.getElementById('status');
  if (status) status.textContent = text;
}

document.getElementById('sign-out')?.addEventListener('click', async () => {
  await api('/app/sign-out', { method: 'POST' });
  location.assign('/app/sign-in');
});
