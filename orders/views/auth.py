"""Login, logout, invitation and password pages."""

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_url, login_user, logout_user

from orders.forms.auth import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    OwnDetailsForm,
    SetPasswordForm,
)
from orders.models import TokenPurpose, User
from orders.security import safe_next_url, typed_form_fields
from orders.services import accounts
from orders.services.throttle import login_throttle, password_reset_throttle

bp = Blueprint("auth", __name__)

# Fields of a form that was refused because the login session had ended travel through the
# login form under this prefix, and are offered back after the login.
CARRY_PREFIX = "carried-"


def _wait_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    unit = "Minute" if minutes == 1 else "Minuten"
    return (
        "Zu viele fehlgeschlagene Anmeldeversuche. Aus Sicherheitsgründen ist die Anmeldung "
        f"für {minutes} {unit} gesperrt. Sie können Ihr Passwort jederzeit über "
        "«Passwort vergessen» neu setzen."
    )


@bp.route("/anmelden", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm(
        data={"email": request.args.get("email", "")} if request.method == "GET" else None
    )
    error = None
    if form.validate_on_submit():
        throttle = login_throttle()
        address = request.remote_addr or ""
        wait = throttle.wait_seconds(form.email.data, address)
        if wait:
            error = _wait_message(wait)
        else:
            user = accounts.authenticate(form.email.data, form.password.data)
            if user is None:
                throttle.record(form.email.data, address)
                error = "E-Mail-Adresse oder Passwort ist falsch, oder das Konto ist deaktiviert."
            else:
                session.clear()  # a fresh session: no fixation of a pre-login session
                g.pop("csrf_token", None)  # Flask-WTF's token of the old session, cached
                accounts.log_in(user)
                login_user(user)
                target = safe_next_url(request.args.get("next"))
                if target and _carried_fields():
                    return render_template(
                        "auth/resend.html", action=target, fields=_carried_fields()
                    )
                return redirect(target or url_for("dashboard.home"))
    status = 429 if error and error.startswith("Zu viele") else 200
    return render_template(
        "auth/login.html",
        form=form,
        error=error,
        carried=_carried_fields(),
        carry_prefix=CARRY_PREFIX,
    ), status


def _carried_fields() -> list[tuple[str, str]]:
    return [
        (name.removeprefix(CARRY_PREFIX), value)
        for name, values in request.form.lists()
        if name.startswith(CARRY_PREFIX)
        for value in values
    ]


def login_needed():
    """Flask-Login's answer to a request without a live login session.

    A form sent after the session ended (idle timeout, logout in another tab) is not lost: the
    login page carries what was typed, and after the login it can be sent as it was.
    """
    typed = typed_form_fields() if request.method == "POST" else []
    if not typed:
        flash("Bitte melden Sie sich an, um diese Seite zu sehen.", "info")
        return redirect(login_url("auth.login", next_url=request.url))
    return render_template(
        "auth/login.html",
        form=LoginForm(formdata=None),
        carried=typed,
        carry_prefix=CARRY_PREFIX,
        action=url_for("auth.login", next=request.path),
    ), 401


@bp.post("/abmelden")
@login_required
def logout():
    accounts.log_out(current_user, current_user.get_id())
    logout_user()
    session.clear()
    flash("Sie sind abgemeldet.", "success")
    response = redirect(url_for("auth.login"))
    # Input kept in the browser for restoring (static/js/berichte.js) must not be offered to
    # the next person at a shared computer.
    response.headers["Clear-Site-Data"] = '"storage"'
    return response


def _set_password_page(token: str, purpose: TokenPurpose, template: str):
    account_token = accounts.valid_token(token, purpose)
    if account_token is None:
        return render_template("auth/link_invalid.html", purpose=purpose), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.set_password_with_token(token, purpose, form.password.data)
        except accounts.AccountError as error:
            form.password.errors.append(str(error))
        else:
            logout_user()
            session.clear()
            flash("Ihr Passwort ist gespeichert. Bitte melden Sie sich jetzt an.", "success")
            return redirect(url_for("auth.login", email=user.email))
    elif form.is_submitted():
        _name_password_rules(form, account_token.user)
    return render_template(
        template, form=form, user=account_token.user, expires_at=account_token.expires_at
    )


def _name_password_rules(form: SetPasswordForm, user: User) -> None:
    """Beside the field of a refused form, the password rules it breaks too: with the other
    problems at once, not only after they are fixed."""
    if form.password.data and not form.password.errors:
        if problem := accounts.password_rule_problem(form.password.data, user):
            form.password.errors.append(str(problem))


@bp.route("/einladung/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    return _set_password_page(token, TokenPurpose.INVITATION, "auth/accept_invitation.html")


@bp.route("/passwort-zuruecksetzen/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _set_password_page(token, TokenPurpose.PASSWORD_RESET, "auth/reset_password.html")


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # Beyond the limit nothing is sent, and the answer stays the same: it must not tell
        # whether an address has an account (OWASP ASVS 4.0.3 V2.2.1, V11.1.4).
        throttle = password_reset_throttle()
        address = request.remote_addr or ""
        if not throttle.wait_seconds(form.email.data, address):
            throttle.record(form.email.data, address)
            accounts.request_password_reset(form.email.data)
        return render_template("auth/forgot_password_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/konto", methods=["GET", "POST"])
@login_required
def own_details():
    form = OwnDetailsForm(obj=current_user)
    if form.validate_on_submit():
        accounts.update_account(
            current_user,
            current_user,
            name=form.name.data,
            function=form.function.data or "",
            phone=form.phone.data or "",
            municipality=current_user.municipality,
        )
        flash("Ihre Angaben sind gespeichert.", "success")
        return redirect(url_for("auth.own_details"))
    return render_template("auth/own_details.html", form=form)


@bp.route("/konto/passwort", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user,
                form.current_password.data,
                form.password.data,
                keep_token=current_user.get_id(),
            )
        except accounts.PasswordNotChanged as error:
            for problem in error.problems:
                getattr(form, problem.field).errors.append(str(problem))
        else:
            flash("Ihr Passwort ist geändert. Andere Anmeldungen wurden beendet.", "success")
            return redirect(url_for("dashboard.home"))
    elif form.is_submitted():
        # A repeat that does not match says nothing about the rest: name it all at once.
        form.show_problems(
            accounts.password_change_problems(
                current_user, form.current_password.data or "", form.password.data or ""
            )
        )
    return render_template("auth/change_password.html", form=form)
