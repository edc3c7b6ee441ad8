// SPDX-License-Identifier: Apache-2.0
// page_audit.js: the audit log's verification state (GET /v1/audit/verify: the hash chain
// recomputed and every signed checkpoint checked, by the library).
import * as api from './api.js';
import { t } from './i18n.js';
import { errorBox, h } from './ui.js';

const state = { verification: null, error: null, busy: false };

async function verify(app) {
	state.busy = true;
	state.error = null;
	app.draw();
	try {
		state.verification = await api.call('GET', '/v1/audit/verify');
	} catch (e) {
		state.verification = null;
		state.error = e;
	}
	state.busy = false;
	app.draw();
}

function verificationView() {
	const v = state.verification;
	if (!v)
		return null;
	return h('div', { class: v.verified ? 'ok' : 'alert', id: 'audit-state',
		'data-verified': String(v.verified) },
		h('p', {}, t(v.verified ? 'verified' : 'broken')),
		v.report ? h('pre', {}, v.report) : null);
}

function render(main, app) {
	main.append(h('section', { class: 'card' },
		h('h1', {}, t('auditTitle')),
		h('h2', {}, t('verifyTitle')),
		h('div', { class: 'actions' }, h('button', { type: 'button', id: 'audit-verify',
			disabled: state.busy, onclick: () => verify(app) },
			state.busy ? t('verifying') : t('verify'))),
		state.error ? errorBox(state.error) : null,
		verificationView()));
}

export default { id: 'audit', nav: 'navAudit', render };
