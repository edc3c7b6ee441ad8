// SPDX-License-Identifier: Apache-2.0
// page_signin.js: signing in with a user name and password (POST /v1/sessions). The
// password is sent once and not kept; the reply's token stays in api.js.
import * as api from './api.js';
import { t } from './i18n.js';
import { errorBox, field, h } from './ui.js';

let failure = null;

function render(main, app) {
	const user = h('input', { name: 'user', id: 'user', autocomplete: 'username', required: true });
	const password = h('input', { name: 'password', id: 'password', type: 'password',
		autocomplete: 'current-password', required: true });
	const submit = h('button', { type: 'submit' }, t('signIn'));
	const form = h('form', { class: 'card narrow', id: 'signin-form' },
		h('h1', {}, t('signInTitle')),
		failure ? errorBox(failure) : null,
		field('user', user), field('password', password),
		h('div', { class: 'actions' }, submit));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		submit.disabled = true;
		submit.textContent = t('signingIn');
		try {
			await api.signIn(user.value, password.value);
			failure = null;
			app.go('');
		} catch (e) {
			failure = e;
			app.draw();
		} finally {
			password.value = '';
		}
	});
	main.append(form);
	user.focus();
}

export default { id: 'signin', nav: 'signInTitle', render };
