// SPDX-License-Identifier: Apache-2.0
// page_users.js: the vault's users (GET /v1/users) with their roles, state and staff
// obligations (confidentiality agreement, privacy training and its expiry, what is
// missing), those with gaps marked; an attestation recorded (POST
// /v1/users/{name}/attest). The library decides who may list and attest ('users').
import * as api from './api.js';
import { t, word } from './i18n.js';
import { errorBox, field, h, kept } from './ui.js';

const state = { gapsOnly: false, users: null, error: null, done: null, loadedFor: null };

let loads = 0;
async function load(app) {
	const mine = ++loads; /* a reply to an earlier load is never drawn over a later one */
	let got = null, error = null;
	try {
		got = (await api.call('GET', '/v1/users',
			{ query: { gaps: state.gapsOnly ? 'true' : undefined } })).users;
	} catch (e) {
		error = e;
	}
	if (mine !== loads)
		return;
	state.users = got;
	if (error)
		state.error = error;
	state.loadedFor = api.role();
	app.draw();
}

function row(u) {
	return h('tr', { 'data-user': u.name, 'data-gaps': String(!u.obligations_current) },
		h('td', {}, u.name), h('td', {}, u.roles), h('td', {}, word('userState_', u.state)),
		h('td', {}, u.agreement || '—'), h('td', {}, u.training || '—'),
		h('td', {}, u.training_expires || '—'),
		h('td', {}, u.obligations_current ? h('span', { class: 'badge masked' }, t('current'))
			: h('span', { class: 'badge overdue' }, t('missing') + ': ' + u.gaps)));
}

function attestForm(app) {
	const name = kept('attest-user', h('input', { id: 'attest-user', required: true,
		autocomplete: 'off' }));
	const agreement = kept('attest-agreement', h('input', { id: 'attest-agreement',
		type: 'date' }));
	const training = kept('attest-training', h('input', { id: 'attest-training',
		type: 'date' }));
	const f = h('form', { class: 'card', id: 'attest-form' }, h('h2', {}, t('attestTitle')),
		h('div', { class: 'row' }, field('user', name), field('agreementDate', agreement),
			field('trainingDate', training)),
		h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('attest'))));
	f.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		state.error = null;
		state.done = null;
		try {
			await api.call('POST', `/v1/users/${encodeURIComponent(name.value.trim())}/attest`,
				{ body: { agreement: agreement.value || undefined,
					training: training.value || undefined } });
			state.done = t('attested', { user: name.value.trim() });
		} catch (e) {
			state.error = e;
		}
		load(app);
	});
	return f;
}

function render(main, app) {
	if (state.loadedFor !== api.role()) {
		state.loadedFor = api.role();
		load(app);
	}
	const gaps = h('input', { type: 'checkbox', id: 'users-gaps', checked: state.gapsOnly });
	gaps.addEventListener('change', () => {
		state.gapsOnly = gaps.checked;
		load(app);
	});
	const list = state.users;
	main.append(h('div', {},
		h('section', { class: 'card' }, h('h1', {}, t('usersTitle')), h('p', {}, t('usersHelp')),
			h('label', { class: 'check' }, gaps, ' ', t('gapsOnly'))),
		state.error ? errorBox(state.error) : null,
		state.done ? h('p', { class: 'ok' }, state.done) : null,
		list === null ? h('p', {}, t('loading'))
			: h('section', { class: 'card' }, h('table', { id: 'users-table' },
				h('thead', {}, h('tr', {}, ['user', 'roles', 'stateCol', 'agreementDate',
					'trainingDate', 'trainingExpires', 'obligations'].map((k) =>
					h('th', {}, t(k))))),
				h('tbody', {}, list.map(row)))),
		attestForm(app)));
}

function reset() {
	Object.assign(state, { users: null, error: null, done: null, loadedFor: null });
}

export default { id: 'users', nav: 'navUsers', render, reset };
