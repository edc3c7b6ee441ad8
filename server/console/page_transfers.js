// SPDX-License-Identifier: Apache-2.0
// page_transfers.js: the transfer wizard (转让, PIPL art. 22): a plan's seven steps with
// their progress as the library decides them (plan, assessment, notices, objections,
// export, receipt, confirmation) and each step's action: the plan made, the impact
// assessment saved, the notices rendered (a mail merge with contact details: saved as a
// file, never shown), who objected and their shredding (four eyes), the package exported
// (four eyes) and downloaded, the recipient's receipt checked and confirmed (four eyes).
import * as api from './api.js';
import { t, word } from './i18n.js';
import { errorBox, field, h, save } from './ui.js';

const STEPS = ['plan', 'assessment', 'notices', 'objections', 'export', 'receipt',
	'confirmation'];
const state = { list: null, chosen: null, error: null, done: null, exclusions: null,
	loadedFor: null };
const KEY = 'pv.transferRequests'; /* "plan/step" -> the request asked for (this tab) */
const asked = () => JSON.parse(sessionStorage.getItem(KEY) || '{}');
function remember(key, request) {
	const m = asked();
	if (request)
		m[key] = request;
	else
		delete m[key];
	sessionStorage.setItem(KEY, JSON.stringify(m));
}

async function load(app) {
	try {
		state.list = (await api.call('GET', '/v1/transfers')).transfers;
	} catch (e) {
		state.list = null;
		state.error = e;
	}
	state.loadedFor = api.role();
	app.draw();
}

async function act(app, fn) {
	state.error = null;
	state.done = null;
	app.draw();
	try {
		state.done = await fn();
	} catch (e) {
		state.error = e;
	}
	await load(app);
}

const path = (p, rest) => `/v1/transfers/${encodeURIComponent(p.id)}${rest}`;

// A four-eyes step: asked for (202: the request remembered), or run under the approved one.
async function guarded(p, step, method, url, body) {
	const key = p.id + '/' + step;
	const request = asked()[key];
	const r = await api.call(method, url, { body: Object.assign({}, body,
		request ? { request } : {}) });
	if (r && r.request && r.request.id && !request) {
		remember(key, r.request.id);
		return [t('stepAsked', { id: r.request.id }), null];
	}
	remember(key, null);
	return [t('stepDone'), r];
}

function guardLabel(p, step, label) {
	const request = asked()[p.id + '/' + step];
	return request ? t('runApproved', { id: request }) : label;
}

async function readFile(input) {
	if (!input.files[0])
		throw new Error(t('chooseFile'));
	return input.files[0].text();
}

function stepAction(app, p, step) {
	const run = (fn) => () => act(app, fn);
	switch (step) {
	case 'assessment':
		return h('button', { type: 'button', class: 'plain', onclick: run(async () => {
			save(await api.call('GET', path(p, '/assessment'), { query: { format: 'html' },
				text: true }), 'text/html', `assessment-${p.id}.html`);
			return t('saved');
		}) }, t('saveAssessment'));
	case 'notices': {
		const purpose = h('input', { class: 'notice-purpose', autocomplete: 'off',
			'aria-label': t('purpose') });
		return h('span', { class: 'inline-form' }, field('purpose', purpose),
			h('button', { type: 'button', class: 'plain', onclick: run(async () => {
				save(await api.call('POST', path(p, '/notices'), { body: { purpose:
					purpose.value.trim() }, text: true }), 'text/csv', `notices-${p.id}.csv`);
				return t('noticesSaved');
			}) }, t('renderNotices')));
	}
	case 'objections':
		return h('span', {},
			h('button', { type: 'button', class: 'plain', onclick: run(async () => {
				state.exclusions = (await api.call('GET', path(p, '/exclusions'))).exclusions;
				return t('exclusionsShown', { n: state.exclusions.length });
			}) }, t('showExclusions')),
			h('button', { type: 'button', class: 'danger', onclick: run(async () =>
				(await guarded(p, 'shred', 'POST', path(p, '/shred-excluded')))[0]) },
			guardLabel(p, 'shred', t('shredExcluded'))));
	case 'export':
		return h('span', {},
			h('button', { type: 'button', class: 'export', onclick: run(async () =>
				(await guarded(p, 'export', 'POST', path(p, '/package')))[0]) },
			guardLabel(p, 'export', t('exportPackage'))),
			h('button', { type: 'button', class: 'plain', onclick: run(async () => {
				save(await api.call('GET', path(p, '/package'), { blob: true }),
					'application/octet-stream', `${p.id}.age`);
				return t('saved');
			}) }, t('downloadPackage')));
	case 'receipt':
	case 'confirmation': {
		const file = h('input', { type: 'file', class: 'receipt-file',
			'aria-label': t('receiptFile') });
		const check = step === 'receipt';
		return h('span', { class: 'inline-form' }, file, h('button', { type: 'button',
			class: check ? 'plain' : 'danger', onclick: run(async () => {
				const receipt = await readFile(file);
				if (check)
					return (await api.call('POST', '/v1/handover/receipt-checks',
						{ body: { receipt } })).summary;
				const [said, r] = await guarded(p, 'confirm', 'POST',
					'/v1/handover/confirmations', { receipt });
				return r ? t('confirmed', { n: r.shredded }) : said;
			}) }, check ? t('checkReceipt') : guardLabel(p, 'confirm', t('confirmReceipt'))));
	}
	default:
		return null;
	}
}

function progress(p) {
	const steps = p.steps || [];
	const done = steps.filter((s) => s.done).length;
	return h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0',
		'aria-valuemax': String(STEPS.length), 'aria-valuenow': String(done),
		'aria-label': t('progress') },
	h('span', { class: 'bar', 'data-done': String(done) }), ' ',
	t('stepsDone', { n: done, of: STEPS.length }));
}

// Who receives what, by when: the plan's main terms.
function planSummary(plan) {
	const r = plan.recipient || {};
	const terms = [[t('plan_recipient_name'), r.name], [t('plan_recipient_contact'), r.contact],
		[t('country'), r.country], [t('plan_scope'), plan.scope],
		[t('plan_deadline'), plan.deadline],
		[t('fieldsCount'), Array.isArray(plan.fields) ? plan.fields.length : null]];
	return h('span', { class: 'muted plan-terms' }, terms.filter(([, v]) => v !== undefined &&
		v !== null && v !== '').map(([k, v]) => k + ': ' + v).join(' · '));
}

function wizard(app, p) {
	const done = Object.fromEntries((p.steps || []).map((s) => [s.step, s.done]));
	const plan = p.plan || {};
	return h('section', { class: 'card wizard', 'data-transfer': p.id, 'data-state': p.state },
		h('h2', {}, `${p.id} · ${word('transferState_', p.state)}`), progress(p),
		h('ol', { class: 'steps' }, STEPS.map((s) => h('li', { 'data-step': s,
			class: done[s] ? 'done' : '' },
		h('span', { class: 'badge ' + (done[s] ? 'approved' : 'pending') },
			done[s] ? t('done') : t('toDo')), ' ', h('strong', {}, t('step_' + s)), ' ',
		s === 'plan' ? planSummary(plan) : stepAction(app, p, s)))),
		state.exclusions && state.chosen === p.id ? h('ul', { class: 'exclusions' },
			state.exclusions.map((x) => h('li', {}, `${x.customer}: ${x.reason}`))) : null);
}

function planForm(app) {
	const inputs = ['recipient_name', 'recipient_contact', 'recipient_key', 'deadline',
		'scope'].map((k) => [k, h('input', { id: 'plan-' + k, autocomplete: 'off',
		required: k.startsWith('recipient'), type: k === 'deadline' ? 'date' : 'text' })]);
	const f = h('form', { class: 'card', id: 'plan-form' }, h('h2', {}, t('newPlan')),
		h('div', { class: 'row' }, inputs.map(([k, el]) => field('plan_' + k, el))),
		h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('makePlan'))));
	f.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const body = {};
		for (const [k, el] of inputs)
			if (el.value.trim())
				body[k] = el.value.trim();
		act(app, async () => (await api.call('POST', '/v1/transfers', { body }), t('planMade')));
	});
	return f;
}

function render(main, app) {
	if (state.loadedFor !== api.role()) {
		state.loadedFor = api.role();
		load(app);
	}
	const list = state.list || [];
	const chosen = list.find((p) => p.id === state.chosen) || list[list.length - 1];
	const pick = h('select', { id: 'transfer-pick' }, list.map((p) =>
		h('option', { value: p.id, selected: chosen && p.id === chosen.id }, p.id)));
	pick.addEventListener('change', () => {
		state.chosen = pick.value;
		state.exclusions = null;
		app.draw();
	});
	main.append(h('div', {},
		h('section', { class: 'card' }, h('h1', {}, t('transfersTitle')),
			h('p', {}, t('transfersHelp')),
			list.length ? h('label', { class: 'field' }, h('span', {}, t('plan')), pick) : null),
		h('div', { id: 'transfer-status' }, state.error ? errorBox(state.error) : null,
			state.done ? h('p', { class: 'ok' }, state.done) : null),
		state.list === null ? h('p', {}, t('loading'))
			: chosen ? wizard(app, chosen) : h('p', { class: 'card' }, t('noTransfers')),
		planForm(app)));
}

function reset() {
	Object.assign(state, { list: null, error: null, done: null, exclusions: null,
		loadedFor: null });
}

export default { id: 'transfers', nav: 'navTransfers', render, reset };
