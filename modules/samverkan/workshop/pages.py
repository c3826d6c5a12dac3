"""The plain HTML pages of the workshop server: the start page and the join page.

They are served by the server itself, without a kernel, so they load at once
even when 150 people arrive together, and they work without JavaScript. Every
value put into them is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from markupsafe import Markup

from samverkan.render.page import page as render_page
from samverkan.workshop.store import MAX_GROUPS

TOO_MANY_PAGES = (
    "Det har kommit väldigt många sidanrop från ert nätverk på kort tid. Vänta en halv minut och ladda om sidan."
)
TOO_MANY_TABS = (
    "Du har öppnat din sida många gånger i rad. Använd fliken du redan har öppen, eller vänta "
    "en halv minut och ladda om sidan. Dina svar finns kvar."
)
ROOM_ARRIVING = "Deltagarna går in i passet just nu, och deras sidor går först. Vänta en halv minut och ladda om sidan."
SERVER_BUSY = "Servern öppnar många sidor just nu. Vänta några sekunder och ladda om sidan."
SERVER_FULL = (
    "Servern har inte plats för fler sidor just nu, eftersom alla platser används. Vänta en minut "
    "och ladda om sidan, eller säg till den som leder passet."
)

CSS = """
:root { --ink: #1a1a1a; --blue: #1f4e79; --muted: #444; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink);
       margin: 0; line-height: 1.5; font-size: 1.05rem; background: #fff; }
header, main, footer { max-width: 40rem; margin: 0 auto; padding: 1rem 1.25rem; }  /* about 75 characters a line */
header { border-bottom: 4px solid var(--blue); }
h1 { font-size: 1.8rem; margin: .2em 0; } h2 { font-size: 1.35rem; margin-top: 1.6em; }
a { color: var(--blue); }
a:focus, input:focus, select:focus, button:focus { outline: 3px solid #c45500; outline-offset: 2px; }
form.join { border: 2px solid var(--blue); border-radius: 6px; padding: 1rem 1.25rem; background: #f4f8fb; }
label { display: block; font-weight: 600; margin-top: .8em; }
input, select { font-size: 1.3rem; padding: .35em .5em; margin-top: .2em; border: 2px solid #555; border-radius: 4px;
                max-width: 100%; min-height: 44px; }
input#kod { text-transform: uppercase; letter-spacing: .15em; width: 9em; }  /* six wide letters, M and W */
button { font-size: 1.15rem; margin-top: 1em; padding: .5em 1.2em; min-height: 44px; max-width: 100%;
         background: var(--blue); color: #fff;
         border: 0; border-radius: 4px; cursor: pointer; }
.hint { color: var(--muted); font-size: .95rem; margin: .2em 0; }
.alert { border-left: 5px solid #b71c1c; background: #fdecea; padding: .6em .8em; margin: 1em 0; }
ul.apps li { margin: .35em 0; }
footer { color: var(--muted); font-size: .9rem; border-top: 1px solid #ccc; margin-top: 2rem; }
"""


def page(title: str, body: str) -> str:
    """A server page (its own header, main and footer are in ``body``, already escaped HTML)."""
    return render_page(title, Markup(body), Markup(CSS), main=False)


def group_options(selected: str | None = None) -> str:
    """The table picker's ``<option>`` list: "Inget bord", then Bord 1 to Bord 40, ``selected`` marked."""
    options = ['<option value="">Inget bord</option>']
    for n in range(1, MAX_GROUPS + 1):
        value = f"Bord {n}"
        sel = " selected" if value == selected else ""
        options.append(f'<option value="{value}"{sel}>{value}</option>')
    return "".join(options)


def join_form(base_url: str = "/", code: str = "", group: str | None = None, message: str | None = None) -> str:
    """The join form: the code, an optional table, one button. Works by keyboard and without JavaScript."""
    alert = f'<p class="alert" role="alert" id="fel">{escape(message)}</p>' if message else ""
    described = ' aria-describedby="fel kod-hjalp"' if message else ' aria-describedby="kod-hjalp"'
    return (
        f'<form class="join" method="post" action="{escape(base_url)}delta" aria-labelledby="ga-med">'
        '<h2 id="ga-med" style="margin-top:0">Gå med i ett pass</h2>'
        f"{alert}"
        '<label for="kod">Kod</label>'
        f'<input id="kod" name="kod" value="{escape(code)}" required autocomplete="off" autocapitalize="characters" '
        f'spellcheck="false" maxlength="12" inputmode="text"{described}>'
        '<p class="hint" id="kod-hjalp">Koden visas av den som leder passet, till exempel K7WQ2M.</p>'
        '<label for="bord">Bord (om ni sitter i grupper)</label>'
        f'<select id="bord" name="bord">{group_options(group)}</select>'
        '<p class="hint">Du är anonym. Vi sparar bara dina svar, aldrig ditt namn.</p>'
        '<button type="submit">Gå med</button></form>'
    )


def start_page(
    apps: Iterable[tuple[str, str, str]], base_url: str = "/", message: str | None = None, code: str = ""
) -> str:
    """The start page: join a session, or open an app for self-study.

    ``apps`` are (title, path under voila/render/, description) tuples.
    """

    def items(entries: Iterable[tuple[str, str, str]]) -> str:
        return "".join(
            f'<li><a href="{escape(base_url)}voila/render/{escape(path)}">{escape(title)}</a>'
            + (f" – {escape(text)}" if text else "")
            + "</li>"
            for title, path, text in entries
        )

    apps = list(apps)
    readers = [a for a in apps if a[1].startswith("lasare.ipynb?")]
    others = [a for a in apps if a not in readers]
    body = (
        '<header><p style="margin:0">Samverkansverkstaden</p>'
        "<h1>Välkommen till verkstaden</h1></header>"
        '<main id="innehall">'
        f"{join_form(base_url, code=code, message=message)}"
        + (
            "<h2>Läs en lektion</h2>"
            f'<ul class="apps">{items(readers)}</ul>'
            '<p class="hint">Lektionens text med övningarna på plats. Du väljer målgrupp och lättläst '
            "eller standardtext i läsaren.</p>"
            if readers
            else ""
        )
        + "<h2>Öva på egen hand</h2>"
        f'<ul class="apps">{items(others)}</ul>'
        '<p class="hint">Bara övningarna, som vid verkstadens bord. Lägg till <code>?level=lattlast</code> '
        "i adressen för lättläst text.</p>"
        "<h2>Leder du passet?</h2>"
        f'<p><a href="{escape(base_url)}handledare">Öppna handledarvyn</a> '
        "(du behöver handledarnyckeln som visades när servern startade).</p>"
        "</main>"
        "<footer>Utbildning, inte juridisk rådgivning. Inga uppgifter lämnar den här datorn.</footer>"
    )
    return page("Samverkansverkstaden", body)


def busy_page(base_url: str, message: str) -> str:
    """A refusal the server chose (too many requests, no room): what happened and what to do."""
    body = (
        '<header><p style="margin:0">Samverkansverkstaden</p><h1>Vänta en stund</h1></header>'
        f'<main id="innehall"><p class="alert" role="alert">{escape(message)}</p>'
        f'<p><a href="{escape(base_url)}">Till startsidan</a></p></main>'
    )
    return page("Vänta en stund – Samverkansverkstaden", body)


def facilitator_login(base_url: str, message: str | None = None, target: str = "") -> str:
    """The facilitator's login: the key is sent in a form, never kept in the address."""
    alert = f'<p class="alert" role="alert" id="fel">{escape(message)}</p>' if message else ""
    described = ' aria-describedby="fel nyckel-hjalp"' if message else ' aria-describedby="nyckel-hjalp"'
    body = (
        '<header><p style="margin:0">Samverkansverkstaden</p><h1>Handledarvyn</h1></header>'
        '<main id="innehall">'
        f'<form class="join" method="post" action="{escape(base_url)}handledare" aria-labelledby="logga-in">'
        '<h2 id="logga-in" style="margin-top:0">Logga in som handledare</h2>'
        f"{alert}"
        '<label for="nyckel">Handledarnyckel</label>'
        f'<input id="nyckel" name="nyckel" type="password" required autocomplete="off" spellcheck="false" '
        f'maxlength="100"{described}>'
        '<p class="hint" id="nyckel-hjalp">Nyckeln visades när servern startade. Den sparas bara i den här '
        "webbläsaren tills du stänger den, och syns aldrig i adressfältet.</p>"
        + (f'<input type="hidden" name="till" value="{escape(target)}">' if target else "")
        + '<button type="submit">Logga in</button></form>'
        f'<p><a href="{escape(base_url)}">Till startsidan</a></p></main>'
    )
    return page("Logga in – Samverkansverkstaden", body)


def join_page(base_url: str, code: str = "", group: str | None = None, message: str | None = None) -> str:
    """The page with the join form (see :func:`join_form`), with an optional message and a link home."""
    body = (
        '<header><p style="margin:0">Samverkansverkstaden</p><h1>Gå med i passet</h1></header>'
        f'<main id="innehall">{join_form(base_url, code=code, group=group, message=message)}'
        f'<p><a href="{escape(base_url)}">Till startsidan</a></p></main>'
    )
    return page("Gå med i passet – Samverkansverkstaden", body)
