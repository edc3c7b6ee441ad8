// SPDX-License-Identifier: Apache-2.0
// page_lookup.js: customer lookup by id (GET /v1/customers/{id}) or by one indexed field
// (GET /v1/customers?FIELD=VALUE). Masked unless the user asks for clear, which the
// library grants only for the fields the role may see in clear; the purpose is asked
// before every read, and the page says that each read is audited.
import * as api from './api.js';
import { t } from './i18n.js';
import { askPurpose, errorBox, field, h } from './ui.js';

const state = { by: 'id', name: '', value: '', clear: false, result: null, error: null };

function recordTable(rec) {
	const rows = Object.entries(rec.fields).map(([name, f]) =>
		h('tr', { 'data-field': name },
			h('th', { scope: 'row' }, name),
			h('td', { class: 'value' }, f.value),
			h('td', {}, h('span', { class: 'badge ' + f.shown }, t(f.shown)))));
	const consents = Object.entries(rec.consents || {});
	return h('section', { class: 'card record', 'data-id': rec.id },
		h('h2', {}, t('customer', { id: rec.id })),
		h('table', {},
			h('thead', {}, h('tr', {}, h('th', {}, t('field')), h('th', {}, t('value')),
				h('th', {}, t('shown')))),
			h('tbody', {}, rows)),
		h('p', {}, t('consents') + ': ',
			consents.length ? consents.map(([p, g]) => p + ' (' + t(g ? 'granted' :
				'refused') + ')').join(', ') : t('none')));
}

// Read as the form says, after the purpose prompt.
async function read(app, id) {
	const purpose = await askPurpose();
	if (!purpose)
		return;
	const query = { purpose, clear: state.clear ? 'true' : undefined };
	state.error = null;
	try {
		if (id !== undefined) {
			state.result = { kind: 'record', data: await api.call('GET',
				'/v1/customers/' + encodeURIComponent(id), { query }) };
		} else {
			query[state.name] = state.value;
			state.value = ''; /* the value searched for is not kept on the page */
			const r = await api.call('GET', '/v1/customers', { query });
			state.result = r.ids ? { kind: 'ids', data: r.ids }
				: { kind: 'list', data: r.customers };
		}
	} catch (e) {
		state.result = null;
		state.error = e;
	}
	app.draw();
}

function resultView(app) {
	const r = state.result;
	if (!r)
		return null;
	if (r.kind === 'record')
		return recordTable(r.data);
	if (r.data.length === 0)
		return h('p', { class: 'card' }, t('noMatch'));
	if (r.kind === 'ids')
		return h('section', { class: 'card' }, h('p', {}, t('idsOnly')),
			h('ul', {}, r.data.map((id) => h('li', {}, id + ' ',
				h('button', { type: 'button', onclick: () => read(app, id) }, t('open'))))));
	return h('div', {}, h('p', {}, t('found', { n: r.data.length })), r.data.map(recordTable));
}

function form(app) {
	const by = h('select', { id: 'lookup-by' },
		h('option', { value: 'id', selected: state.by === 'id' }, t('byId')),
		h('option', { value: 'field', selected: state.by === 'field' }, t('byField')));
	const name = h('input', { id: 'lookup-field', value: state.name, placeholder: 'phone',
		required: state.by === 'field', autocomplete: 'off' });
	const value = h('input', { id: 'lookup-value', value: state.value, required: true,
		autocomplete: 'off' });
	const clear = h('input', { id: 'lookup-clear', type: 'checkbox', checked: state.clear });
	by.addEventListener('change', () => {
		state.by = by.value;
		app.draw();
	});
	const f = h('form', { class: 'card', id: 'lookup-form' },
		h('h1', {}, t('lookupTitle')),
		h('p', { class: 'notice', id: 'audit-notice' }, t('auditNotice')),
		h('div', { class: 'row' }, field('lookupBy', by),
			state.by === 'field' ? field('fieldName', name) : null,
			field(state.by === 'id' ? 'customerId' : 'fieldValue', value)),
		h('label', { class: 'check' }, clear, ' ', t('wantClear')),
		h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('search'))));
	f.addEventListener('submit', (ev) => {
		ev.preventDefault();
		state.name = name.value.trim();
		state.value = value.value.trim();
		state.clear = clear.checked;
		read(app, state.by === 'id' ? state.value : undefined);
	});
	return f;
}

function render(main, app) {
	main.append(h('div', {}, form(app), state.error ? errorBox(state.error) : null,
		resultView(app)));
}

export default { id: 'lookup', nav: 'navLookup', render };
