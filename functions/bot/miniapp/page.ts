/**
 * The member's Mini App page, served at `GET .../bot/app`. A string module rather than a static file,
 * so the Supabase bundle always contains it and there is no build step.
 *
 * The HTML is the same for everyone: no user data, no secret. The script reads its data from
 * `POST <same path>` with `X-Telegram-Init-Data` (route.ts), and renders with textContent only, so
 * nothing from the server is ever parsed as HTML. Colours follow Telegram's theme (`--tg-theme-*`, set
 * by telegram-web-app.js and again here from `themeParams`), with plain fallbacks; without
 * `window.Telegram` (a normal browser) the page says where to open it instead of failing.
 */
import { ADMIN_SCRIPT, ADMIN_STYLE } from "./admin_page.ts";

const STYLE = `
:root {
  color-scheme: light dark;
  /* like Telegram's own settings screens: grey page (secondary), cards in the section colour */
  --bg: var(--tg-theme-secondary-bg-color, #f1f2f4);
  --text: var(--tg-theme-text-color, #111111);
  --hint: var(--tg-theme-hint-color, #7d7f85);
  --link: var(--tg-theme-link-color, #2481cc);
  --button: var(--tg-theme-button-color, #2481cc);
  --button-text: var(--tg-theme-button-text-color, #ffffff);
  --section: var(--tg-theme-section-bg-color, var(--tg-theme-bg-color, #ffffff));
  --accent: var(--tg-theme-accent-text-color, var(--link));
  --danger: var(--tg-theme-destructive-text-color, #d93a3a);
}
* { box-sizing: border-box; }
body {
  margin: 0; padding: 16px 14px 28px; background: var(--bg); color: var(--text);
  font: 15px/1.4 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
h1 { font-size: 21px; margin: 0 0 14px; }
h2 { font-size: 13px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: var(--hint);
     margin: 20px 4px 8px; }
.card { background: var(--section); border-radius: 12px; padding: 12px 14px; }
.status { font-size: 17px; font-weight: 600; margin-bottom: 6px; }
.status.on { color: var(--accent); }
.row { display: flex; justify-content: space-between; gap: 12px; padding: 3px 0; }
.row .k { color: var(--hint); }
ul { list-style: none; margin: 0; padding: 0; }
.window { padding: 8px 0; border-bottom: 1px solid color-mix(in srgb, var(--hint) 25%, transparent); }
.window:last-child { border-bottom: 0; }
.window .what { font-weight: 600; }
.window .when { color: var(--hint); font-size: 14px; }
.badge { display: inline-block; font-size: 12px; padding: 1px 7px; border-radius: 9px; margin-left: 6px;
         border: 1px solid currentColor; font-weight: 500; vertical-align: 1px; }
.badge.refunded { color: var(--danger); }
.badge.live { color: var(--accent); }
.badge.ended { color: var(--hint); }
.plan { padding: 10px 0; border-bottom: 1px solid color-mix(in srgb, var(--hint) 25%, transparent); }
.plan:last-child { border-bottom: 0; }
.plan .title { font-weight: 600; }
.plan .meta { color: var(--hint); font-size: 14px; margin-bottom: 8px; }
.buttons { display: flex; gap: 8px; flex-wrap: wrap; }
button { font: inherit; font-weight: 600; border: 0; border-radius: 10px; padding: 9px 14px; cursor: pointer;
         background: var(--button); color: var(--button-text); flex: 1 1 auto; }
button.secondary { background: transparent; color: var(--link); border: 1px solid var(--link); }
button:disabled { opacity: .6; cursor: default; }
.hint, .empty { color: var(--hint); }
.notice { padding: 14px; }
#support p { margin: 0 0 8px; white-space: pre-line; }
#toast { position: fixed; left: 14px; right: 14px; bottom: 14px; padding: 10px 14px; border-radius: 10px;
         background: var(--text); color: var(--bg); display: none; }
`;

const SCRIPT = String.raw`
(function () {
  "use strict";
  var T = {
    en: {
      title: "Your membership", loading: "Loading…", access: "Access", history: "Access history",
      plans: "Plans", support: "Payment help",
      active: "Active", activeUntil: "Active until {date}", ended: "Ended on {date}", none: "No access yet",
      source: "Source", renewing: "Auto-renewal", on: "on", off: "off", noneHint: "Choose a plan below to get access.",
      refunded: "refunded", live: "active", endedBadge: "ended", upcoming: "upcoming",
      noHistory: "Nothing yet.", noPlans: "There are no plans available right now.",
      days: function (n) { return n + (n === 1 ? " day" : " days"); },
      payTribute: "Pay with Tribute", payStars: "Pay {n} ⭐",
      supportHint: "In the chat with the bot, send /paysupport.",
      outside: "Open this page from the bot's menu button in Telegram: it needs Telegram to know who you are.",
      expired: "This session has expired. Close the app and open it again from the bot.",
      failed: "Could not load your data. Please try again.", retry: "Try again",
      invoiceFailed: "Could not create the invoice. Please try again.", paid: "Payment received. Updating…",
      kinds: { subscription: "subscription", purchase: "purchase", grant: "grant", code: "access code", bonus: "unused days" },
      providers: { tribute: "Tribute", telegram_stars: "Telegram Stars", manual: "Manual grant" },
      adminView: "Admin view",
      locale: "en-GB"
    },
    ru: {
      title: "Ваша подписка", loading: "Загрузка…", access: "Доступ", history: "История доступа",
      plans: "Тарифы", support: "Помощь с оплатой",
      active: "Активен", activeUntil: "Активен до {date}", ended: "Закончился {date}", none: "Доступа пока нет",
      source: "Источник", renewing: "Автопродление", on: "включено", off: "выключено",
      noneHint: "Выберите тариф ниже, чтобы получить доступ.",
      refunded: "возврат", live: "действует", endedBadge: "закончился", upcoming: "впереди",
      noHistory: "Пока ничего нет.", noPlans: "Сейчас нет доступных тарифов.",
      days: function (n) {
        var a = Math.abs(n) % 100, b = a % 10;
        var w = a > 10 && a < 20 ? "дней" : b === 1 ? "день" : b >= 2 && b <= 4 ? "дня" : "дней";
        return n + " " + w;
      },
      payTribute: "Оплатить через Tribute", payStars: "Оплатить {n} ⭐",
      supportHint: "В чате с ботом отправьте /paysupport.",
      outside: "Откройте эту страницу кнопкой меню бота в Telegram: без Telegram она не знает, кто вы.",
      expired: "Сессия устарела. Закройте приложение и откройте его снова из бота.",
      failed: "Не удалось загрузить данные. Попробуйте ещё раз.", retry: "Повторить",
      invoiceFailed: "Не удалось создать счёт. Попробуйте ещё раз.", paid: "Оплата получена. Обновляем…",
      kinds: { subscription: "подписка", purchase: "покупка", grant: "выдано вручную", code: "код доступа", bonus: "неиспользованные дни" },
      providers: { tribute: "Tribute", telegram_stars: "Telegram Stars", manual: "Ручная выдача" },
      adminView: "Админ-панель",
      locale: "ru-RU"
    }
  };

  var tg = window.Telegram && window.Telegram.WebApp;
  var initData = tg && typeof tg.initData === "string" ? tg.initData : "";
  var unsafeUser = tg && tg.initDataUnsafe && tg.initDataUnsafe.user;

  // Same rule as the bot (texts.ts langOf): ru/uk/be/kk read Russian, everyone else English.
  function langOf(code) {
    var base = String(code || "").trim().toLowerCase().split(/[-_]/)[0];
    return base === "ru" || base === "uk" || base === "be" || base === "kk" ? "ru" : "en";
  }
  var lang = langOf(unsafeUser ? unsafeUser.language_code : navigator.language);
  var t = T[lang];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  function fill(s, vars) {
    return s.replace(/\{(\w+)\}/g, function (_, k) { return vars[k]; });
  }
  function fmtDate(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.toLocaleString(t.locale, { day: "numeric", month: "short", year: "numeric",
                                        hour: "2-digit", minute: "2-digit" });
  }
  function provider(p) { return t.providers[p] || p || "—"; }
  var app = document.getElementById("app");
  function show(nodes) {
    app.replaceChildren.apply(app, nodes);
  }
  function toast(text) {
    var box = document.getElementById("toast");
    box.textContent = text;
    box.style.display = "block";
    setTimeout(function () { box.style.display = "none"; }, 3500);
  }

  function applyTheme() {
    var p = (tg && tg.themeParams) || {};
    Object.keys(p).forEach(function (k) {
      if (typeof p[k] === "string") {
        document.documentElement.style.setProperty("--tg-theme-" + k.replace(/_/g, "-"), p[k]);
      }
    });
    if (tg && tg.colorScheme) document.documentElement.style.colorScheme = tg.colorScheme;
  }

  document.documentElement.lang = lang;
  document.title = t.title;
  document.getElementById("title").textContent = t.title;

  if (!tg || !initData) {
    show([el("div", "card notice", t.outside)]);
    document.documentElement.dataset.state = "outside";
    return;
  }
  applyTheme();
  if (tg.onEvent) tg.onEvent("themeChanged", applyTheme);
  // Telegram paints its header and the area around the page in the same colour as our background.
  try {
    if (tg.setHeaderColor) tg.setHeaderColor("secondary_bg_color");
    if (tg.setBackgroundColor) tg.setBackgroundColor("secondary_bg_color");
  } catch (_) { /* older clients */ }
  if (tg.ready) tg.ready();
  if (tg.expand) tg.expand();

  // The page's own URL is the data door: POST .../bot/app.
  var endpoint = location.origin + location.pathname;
  function api(body) {
    return fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-init-data": initData },
      body: JSON.stringify(body)
    }).then(function (res) {
      if (res.status === 401) { var e = new Error("expired"); e.expired = true; throw e; }
      if (!res.ok) throw new Error("HTTP " + res.status);
      return res.json();
    });
  }

  function openLink(url) {
    if (/^https:\/\/t\.me\//.test(url) && tg.openTelegramLink) tg.openTelegramLink(url);
    else if (tg.openLink) tg.openLink(url);
    else window.open(url, "_blank", "noopener");
  }

  function buyStars(code, button) {
    button.disabled = true;
    api({ action: "invoice", plan: code }).then(function (r) {
      button.disabled = false;
      if (!tg.openInvoice) { openLink(r.invoice_link); return; }
      tg.openInvoice(r.invoice_link, function (status) {
        if (status === "paid") { toast(t.paid); setTimeout(load, 2000); }
      });
    }).catch(function () {
      button.disabled = false;
      toast(t.invoiceFailed);
    });
  }

  function accessCard(a) {
    var card = el("section", "card");
    card.id = "access";
    var now = Date.now();
    var status;
    if (a.has_access) status = a.until ? fill(t.activeUntil, { date: fmtDate(a.until) }) : t.active;
    else if (a.until && new Date(a.until).getTime() <= now) status = fill(t.ended, { date: fmtDate(a.until) });
    else status = t.none;
    card.appendChild(el("div", "status" + (a.has_access ? " on" : ""), status));
    if (a.has_access) {
      var r1 = el("div", "row"); r1.append(el("span", "k", t.source), el("span", "v", provider(a.source)));
      var r2 = el("div", "row"); r2.append(el("span", "k", t.renewing), el("span", "v", a.renewing ? t.on : t.off));
      card.append(r1, r2);
    } else {
      card.appendChild(el("div", "hint", t.noneHint));
    }
    return card;
  }

  function timelineCard(windows) {
    var card = el("section", "card");
    card.id = "timeline";
    if (!windows.length) { card.appendChild(el("div", "empty", t.noHistory)); return card; }
    var list = el("ul");
    var now = Date.now();
    windows.forEach(function (w) {
      var item = el("li", "window");
      var what = el("div", "what", provider(w.source) + " · " + (t.kinds[w.kind] || w.kind));
      var badge;
      if (w.refunded) badge = el("span", "badge refunded", t.refunded);
      else if (new Date(w.from).getTime() > now) badge = el("span", "badge live", t.upcoming);
      else if (new Date(w.to).getTime() > now && (w.status === "active" || w.status === "cancelled")) {
        badge = el("span", "badge live", t.live);
      } else badge = el("span", "badge ended", t.endedBadge);
      what.appendChild(badge);
      item.append(what, el("div", "when", fmtDate(w.from) + " → " + fmtDate(w.to)));
      list.appendChild(item);
    });
    card.appendChild(list);
    return card;
  }

  function plansCard(plans) {
    var card = el("section", "card");
    card.id = "plans";
    if (!plans.length) { card.appendChild(el("div", "empty", t.noPlans)); return card; }
    plans.forEach(function (p) {
      var box = el("div", "plan");
      box.dataset.plan = p.code;
      box.append(el("div", "title", p.title), el("div", "meta", t.days(p.duration_days)));
      var buttons = el("div", "buttons");
      if (p.tribute_link) {
        var tb = el("button", "secondary", t.payTribute);
        tb.dataset.pay = "tribute";
        tb.addEventListener("click", function () { openLink(p.tribute_link); });
        buttons.appendChild(tb);
      }
      if (p.stars_price != null && p.stars_price > 0) {
        var sb = el("button", null, fill(t.payStars, { n: p.stars_price }));
        sb.dataset.pay = "stars";
        sb.addEventListener("click", function () { buyStars(p.code, sb); });
        buttons.appendChild(sb);
      }
      if (buttons.childNodes.length) box.appendChild(buttons);
      card.appendChild(box);
    });
    return card;
  }

  function supportCard(text) {
    var card = el("section", "card");
    card.id = "support";
    card.append(el("p", null, text), el("div", "hint", t.supportHint));
    return card;
  }

  // The admin view (admin_page.ts) is offered only when the data route said so: the init data named one
  // of the bot's admins. Its own route checks that again on every request.
  var leaveAdmin = null, adminOpened = false;
  function openAdmin() {
    if (!window.MiniAppAdmin) return;
    adminOpened = true;
    document.documentElement.dataset.view = "admin";
    window.MiniAppAdmin.open({
      lang: lang, locale: t.locale, el: el, fill: fill, fmtDate: fmtDate, toast: toast,
      endpoint: endpoint, initData: initData,
      onLeave: function (fn) { leaveAdmin = fn; },
      back: function () {
        if (leaveAdmin) leaveAdmin();
        leaveAdmin = null;
        document.documentElement.dataset.view = "member";
        load();
      }
    });
  }

  function render(data) {
    if (data.lang && T[data.lang]) { lang = data.lang; t = T[lang]; document.documentElement.lang = lang; }
    document.title = t.title;
    document.getElementById("title").textContent = t.title;
    var nodes = [
      el("h2", null, t.access), accessCard(data.access || {}),
      el("h2", null, t.plans), plansCard(data.plans || []),
      el("h2", null, t.history), timelineCard(data.timeline || []),
      el("h2", null, t.support), supportCard(data.support || "")
    ];
    if (data.admin === true) {
      var adminButton = el("button", "secondary", t.adminView);
      adminButton.id = "open-admin";
      adminButton.addEventListener("click", openAdmin);
      nodes.push(adminButton);
    }
    show(nodes);
    document.documentElement.dataset.state = "ready";
    // "#admin" in the URL opens the admin view directly, once (the way back stays on this page)
    if (data.admin === true && location.hash === "#admin" && !adminOpened) openAdmin();
  }

  function load() {
    show([el("div", "hint", t.loading)]);
    document.documentElement.dataset.state = "loading";
    api({ action: "view" }).then(render).catch(function (err) {
      if (err && err.expired) {
        show([el("div", "card notice", t.expired)]);
        document.documentElement.dataset.state = "expired";
        return;
      }
      var retry = el("button", null, t.retry);
      retry.addEventListener("click", load);
      show([el("div", "card notice", t.failed), retry]);
      document.documentElement.dataset.state = "error";
    });
  }
  load();
})();
`;

/** Telegram's script: how a page becomes a Mini App (theme, initData, openInvoice...). */
export const TELEGRAM_WEB_APP_JS = "https://telegram.org/js/telegram-web-app.js";

export const MINI_APP_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="referrer" content="no-referrer">
<title>Membership</title>
<script src="${TELEGRAM_WEB_APP_JS}"></script>
<style>${STYLE}${ADMIN_STYLE}</style>
</head>
<body>
<h1 id="title">Membership</h1>
<main id="app"><div class="hint">…</div></main>
<div id="toast" role="status"></div>
<noscript>This page needs JavaScript. Open it from the bot in Telegram.</noscript>
<script>${ADMIN_SCRIPT}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;

/** Headers of the page: a tight CSP (only our inline code, Telegram's script, and our own origin). */
export const MINI_APP_HEADERS: Record<string, string> = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy": [
    "default-src 'none'",
    "script-src 'unsafe-inline' https://telegram.org",
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; "),
};

export function miniAppPage(method: string): Response {
  return new Response(method === "HEAD" ? null : MINI_APP_HTML, { status: 200, headers: MINI_APP_HEADERS });
}
