// SPDX-License-Identifier: Apache-2.0
// page_report.js: the compliance audit report (GET /v1/report, PIPL art. 54): its findings
// with severity and article, and the self-contained HTML page (?format=html) saved as a
// file for the auditor. The library computes every figure.
import * as api from './api.js';
import { t } from './i18n.js';
import { errorBox, h, save } from './ui.js';

const state = { report: null, error: null, busy: false };

async function load(app) {
	state.busy = true;
	state.error = null;
	app.draw();
	try {
		state.report = await api.call('GET', '/v1/report');
	} catch (e) {
		state.error = e;
	}
	state.busy = false;
	app.draw();
}

async function download() {
	try {
		const html = await api.call('GET', '/v1/report', { query: { format: 'html' },
			text: true });
		save(html, 'text/html', `pivault-report-${state.report ? state.report.as_of : ''}.html`);
	} catch (e) {
		state.error = e;
	}
}

function findings(r) {
	const list = r.findings || [];
	if (!list.length)
		return h('p', { class: 'ok' }, t('noFindings'));
	return h('table', { id: 'report-findings' },
		h('thead', {}, h('tr', {}, ['severity', 'article', 'findingId', 'what'].map((k) =>
			h('th', {}, t(k))))),
		h('tbody', {}, list.map((f) => h('tr', { 'data-severity': f.severity },
			h('td', {}, h('span', { class: 'badge sev-' + f.severity }, f.severity)),
			h('td', {}, f.article), h('td', {}, f.id), h('td', {}, f.what)))));
}

function render(main, app) {
	const r = state.report;
	main.append(h('div', {}, h('section', { class: 'card' },
		h('h1', {}, t('reportTitle')), h('p', {}, t('reportHelp')),
		h('div', { class: 'actions' },
			h('button', { type: 'button', id: 'report-make', disabled: state.busy,
				onclick: () => load(app) }, state.busy ? t('loading') : t('makeReport')),
			r ? h('button', { type: 'button', class: 'plain', id: 'report-html',
				onclick: download }, t('saveHtml')) : null),
		state.error ? errorBox(state.error) : null,
		r ? h('p', {}, t('reportOf', { vault: r.vault, date: r.as_of })) : null,
		r ? findings(r) : null)));
}

function reset() {
	Object.assign(state, { report: null, error: null, busy: false });
}

export default { id: 'report', nav: 'navReport', render, reset };
