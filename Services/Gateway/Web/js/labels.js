// Russian names of the API's enum values. They come from the gateway (`/web/labels.json`), which takes them
// from the same table the PDF, HTML and Markdown reports use (Shared/Contracts/Domain/RussianLabels.swift),
// so a page and a report always say the same.

import {h} from './dom.js';

let tables = {};

/** Loads the tables once, before the first page is drawn. */
export async function loadLabels() {
  const response = await fetch('/web/labels.json', {credentials: 'same-origin', headers: {accept: 'application/json'}});
  if (response.ok) tables = await response.json();
}

/** The Russian name of an enum value: label('level', 'RISK_LEVEL_HIGH') → 'Высокий риск'; '—' for none. */
export function label(table, value) {
  if (value === undefined || value === null || value === '' || String(value).endsWith('_UNSPECIFIED')) return '—';
  return tables[table]?.[value] ?? String(value);
}

export const levels = ['RISK_LEVEL_LOW', 'RISK_LEVEL_MEDIUM', 'RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL', 'RISK_LEVEL_INSUFFICIENT_DATA'];
export const stages = ['STAGE_QUEUED', 'STAGE_STARTED', 'STAGE_REGISTRIES', 'STAGE_WEB_SEARCH', 'STAGE_SCORING', 'STAGE_NARRATIVE', 'STAGE_RENDERING', 'STAGE_STORING', 'STAGE_COMPLETED'];

/** A level's CSS class: level-low … level-insufficient. */
export function levelClass(level) {
  return 'level level-' + String(level ?? '').replace('RISK_LEVEL_', '').toLowerCase().replace('insufficient_data', 'insufficient');
}

/** A level as a coloured badge: «Высокий риск». */
export function levelBadge(level, attributes = {}) {
  return h('span', {...attributes, class: levelClass(level)}, label('level', level));
}

/** Asked, but failed or answered only part (Shared/Contracts/Domain: State.incomplete): its silence is not
 * "nothing found". */
export const incompleteStates = new Set(['STATE_ERROR', 'STATE_TIMEOUT', 'STATE_CIRCUIT_OPEN', 'STATE_PARTIAL']);
/** Not asked at all (State.asked is false). */
export const notAskedStates = new Set(['STATE_NOT_CONFIGURED', 'STATE_DISABLED', 'STATE_UNSPECIFIED']);
