// A job: its progress live (server-sent events), then its review clip, QC verdict, curves and downloads.
import { api, follow, stageBar, jobEtaSeconds, duration, when, say, factList } from './api.js';

const jobId = location.pathname.split('/').pop();
// The curves plotted: a few that show a performance (mouth, smile, blink, brows), when the file has them.
const PlottedCurves = ['jawOpen', 'mouthSmileLeft', 'eyeBlinkLeft', 'browInnerUp'];
const ReviewClips = { retarget: 'review.mp4', track: 'qc.mp4' };

/** "30000/1001" as "29.97 fps (30000/1001)"; a whole rate as "25 fps". */
function frameRate(fraction) {
  const [numerator, denominator = 1] = fraction.split('/').map(Number);
  const fps = numerator / denominator;
  return Number.isInteger(fps) ? `${fps} fps` : `${Number(fps.toFixed(3))} fps (${fraction})`;
}

function show(job) {
  document.title = `${job.inputFileName} · FacePipeline`;
  document.querySelector('h1').textContent = `${job.kind} job: ${job.inputFileName}`;
  const fact = factList('facts');
  fact('State', job.state);
  fact('Submitted', when(job.createdAt));
  fact(job.ended ? 'Took' : 'Running for', duration(job.elapsedSeconds));
  if (!job.ended) fact('ETA', duration(jobEtaSeconds(job)));
  if (job.failure) fact('Failure', job.failure.reason);
  if (job.video) {
    fact('Frame rate', frameRate(job.video.frameRate));
    fact('Start timecode', job.video.startTimecode ?? 'none in the source');
  }
  const stages = document.getElementById('stages');
  stages.replaceChildren(...job.stages.map(stageBar));
  stages.dataset.state = job.state;
  document.getElementById('cancel').hidden = job.ended;
}

async function showOutputs(job) {
  const list = document.getElementById('download-list');
  list.replaceChildren(...job.outputs.map((output) => {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = output.url;
    link.download = output.name;
    link.textContent = output.name;
    item.append(link, ` (${output.contentType})`);
    return item;
  }));
  document.getElementById('downloads').hidden = job.outputs.length === 0;
  const names = new Set(job.outputs.map((o) => o.name));
  const clip = ReviewClips[job.kind];
  if (names.has(clip)) {
    const video = document.getElementById('review-video');
    const src = `/v1/jobs/${job.id}/outputs/${clip}`;
    if (video.getAttribute('src') !== src) video.src = src; // a later event must not restart the clip
    document.getElementById('review').hidden = false;
  }
  if (names.has('qc.json') && document.getElementById('qc').hidden) {
    await showVerdict(await api(`/v1/jobs/${job.id}/outputs/qc.json`));
  }
  if (names.has('blendshapes.json') && document.getElementById('curves').hidden) {
    plot(await api(`/v1/jobs/${job.id}/outputs/blendshapes.json`));
  }
}

function showVerdict(qc) {
  const body = document.getElementById('qc-body');
  const verdict = document.createElement('p');
  verdict.innerHTML = '<strong>Verdict:</strong> ';
  verdict.append(qc.verdict);
  verdict.className = `verdict verdict-${qc.verdict}`;
  const findings = document.createElement('ul');
  findings.append(...(qc.findings ?? []).map((f) => Object.assign(document.createElement('li'), { textContent: f })));
  body.replaceChildren(verdict, findings);
  document.getElementById('qc').hidden = false;
}

/** A line plot (SVG) of a few curves over the clip's time, weights 0–1. */
function plot(curves) {
  const width = 720;
  const height = 220;
  const frames = curves.frames ?? [];
  const end = frames.length ? frames[frames.length - 1].time || 1 : 1;
  const svgNs = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  const shown = PlottedCurves.filter((name) => curves.names.includes(name));
  svg.setAttribute('aria-label', `Blendshape curves over ${end.toFixed(1)} s: ${shown.join(', ')}`);
  shown.forEach((name, i) => {
    const index = curves.names.indexOf(name);
    const line = document.createElementNS(svgNs, 'polyline');
    line.setAttribute('points', frames.map((f) => `${((f.time / end) * width).toFixed(1)},${(height - f.weights[index] * height).toFixed(1)}`).join(' '));
    line.setAttribute('class', `curve curve-${i}`);
    const title = document.createElementNS(svgNs, 'title');
    title.textContent = name;
    line.append(title);
    svg.append(line);
  });
  document.getElementById('plot').replaceChildren(svg);
  const caption = document.getElementById('plot-caption');
  caption.replaceChildren(...shown.map((name, i) => Object.assign(document.createElement('span'), { className: `key curve-${i}`, textContent: name })));
  document.getElementById('curves').hidden = false;
}

async function refresh() {
  const job = await api(`/v1/jobs/${jobId}`);
  show(job);
  if (job.ended) {
    await showOutputs(job);
  }
  return job;
}

document.getElementById('cancel').addEventListener('click', async () => {
  try {
    await api(`/v1/jobs/${jobId}/cancel`, { method: 'POST' });
    await refresh();
  } catch (error) {
    say(error.message);
  }
});

refresh()
  .then((job) => {
    if (!job.ended) {
      const stream = follow(`/v1/jobs/${jobId}/events`, async (type) => {
        const fresh = await refresh();
        if (fresh.ended || type === 'job.completed' || type === 'job.failed' || type === 'job.cancelled') stream.close();
      });
    }
  })
  .catch((error) => say(error.message));
