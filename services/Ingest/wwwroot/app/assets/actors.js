// The studio's actors: each model version's state, training progress, held-out figures (against the warp baseline) and preview.
import { api, duration, when, say } from './api.js';

const figure = (value, digits) => (value == null ? '–' : value.toFixed(digits));

function versionRow(model) {
  const row = document.createElement('tr');
  row.insertCell().textContent = `v${model.version}`;
  row.insertCell().textContent = model.state;
  const bar = document.createElement('progress');
  bar.max = Math.max(model.maxSteps, 1);
  bar.value = model.step;
  bar.setAttribute('aria-label', `Version ${model.version} training steps`);
  row.insertCell().append(bar, ` ${model.step}/${model.maxSteps} steps, ${duration(model.trainingSeconds)}`);
  const held = model.metrics?.validation;
  const warp = model.metrics?.warpBaseline;
  row.insertCell().textContent = held ? `PSNR ${figure(held.psnr, 2)} dB, SSIM ${figure(held.ssim, 3)}, L1 ${figure(held.l1, 4)} (${held.pairs} frames)` : '–';
  row.insertCell().textContent = warp ? `PSNR ${figure(warp.psnr, 2)} dB, SSIM ${figure(warp.ssim, 3)}` : '–';
  const preview = row.insertCell();
  if (model.previewUrl) {
    const image = document.createElement('img');
    image.src = model.previewUrl;
    image.alt = `Preview of version ${model.version}: held-out frames, the model's rendering beside the footage`;
    image.className = 'preview';
    preview.append(image);
  } else {
    preview.textContent = '–';
  }
  return row;
}

function actorSection(actor) {
  const section = document.createElement('section');
  const heading = document.createElement('h2');
  heading.textContent = actor.name;
  const note = document.createElement('p');
  note.textContent = `Created ${when(actor.createdAt)}; latest ready version: ${actor.latestReadyVersion == null ? 'none yet' : `v${actor.latestReadyVersion}`}.`;
  const table = document.createElement('table');
  table.innerHTML = '<thead><tr><th scope="col">Version</th><th scope="col">State</th><th scope="col">Training</th><th scope="col">Held-out frames</th><th scope="col">Warp baseline</th><th scope="col">Preview</th></tr></thead>';
  const body = table.createTBody();
  body.append(...actor.models.map(versionRow));
  section.append(heading, note, table);
  return section;
}

api('/v1/actors')
  .then((actors) => {
    document.getElementById('actors').replaceChildren(...actors.map(actorSection));
    if (actors.length === 0) say('No actors yet: create one with facepipe actor create.');
  })
  .catch((error) => say(error.message));
