/**
 * The admin view of the Mini App page (issue #14): CSS and a script that page.ts puts into the same
 * static HTML. It stays invisible unless the member data route answered `admin: true` (the init data
 * named a user of ADMIN_TELEGRAM_IDS); its data comes from `POST .../bot/app/admin`, which checks the
 * same thing again (admin.ts), so showing it to anyone else would show nothing but 403s.
 *
 * Sections are a table (SECTIONS below): each has a tab, a request body and a renderer. Everything is
 * rendered with textContent / createElementNS (the chart is an SVG drawn here, no library, no CDN).
 * The script only defines `window.MiniAppAdmin`; page.ts's script calls `open(shared)` with its helpers.
 */

export const ADMIN_STYLE = `
#admin-tabs { display: flex; gap: 4px; overflow-x: auto; margin: 0 0 12px; padding-bottom: 2px; }
#admin-tabs button { flex: 1 0 auto; background: var(--section); color: var(--text); font-weight: 500;
                     font-size: 14px; padding: 6px 9px; border-radius: 16px; }
.card + .card { margin-top: 10px; }
#admin-tabs button.on { background: var(--button); color: var(--button-text); }
.topbar { display: flex; justify-content: space-between; align-items: center; gap: 8px; margin-bottom: 12px; }
.topbar h1 { margin: 0; }
.topbar button { flex: 0 0 auto; }
.big { font-size: 30px; font-weight: 700; color: var(--accent); line-height: 1.1; }
table.nums { width: 100%; border-collapse: collapse; }
table.nums th { color: var(--hint); font-weight: 500; font-size: 13px; text-align: right; padding: 4px 0; }
table.nums th:first-child, table.nums td:first-child { text-align: left; }
table.nums td { text-align: right; padding: 5px 0; font-variant-numeric: tabular-nums;
                border-top: 1px solid color-mix(in srgb, var(--hint) 20%, transparent); }
.chart { margin: 6px 0 14px; }
.chart:last-child { margin-bottom: 0; }
.chart .cur { font-weight: 600; display: flex; justify-content: space-between; }
.chart .cur .hint { font-weight: 400; font-size: 13px; }
.chart svg { display: block; width: 100%; height: auto; }
.chart svg text { fill: var(--hint); font-size: 10px; }
.chart svg .bar { fill: var(--button); }
.chart svg .refund { fill: var(--danger); opacity: .55; }
.chart svg .axis { stroke: color-mix(in srgb, var(--hint) 40%, transparent); stroke-width: 1; }
.legend { font-size: 12px; color: var(--hint); }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 8px;
            vertical-align: -1px; }
.search { display: flex; gap: 8px; }
.search input { flex: 1 1 auto; min-width: 0; }
input { font: inherit; color: var(--text); background: var(--bg); border: 1px solid
        color-mix(in srgb, var(--hint) 45%, transparent); border-radius: 10px; padding: 8px 10px; }
input.days { width: 5.5em; flex: 0 0 auto; }
.result { padding: 9px 0; border-bottom: 1px solid color-mix(in srgb, var(--hint) 25%, transparent); cursor: pointer; }
.result:last-child { border-bottom: 0; }
.result .who { font-weight: 600; color: var(--link); }
.result .meta, .item .meta { color: var(--hint); font-size: 14px; }
.item { padding: 8px 0; border-bottom: 1px solid color-mix(in srgb, var(--hint) 25%, transparent); }
.item:last-child { border-bottom: 0; }
.item .what { font-weight: 600; }
.item .head { display: flex; justify-content: space-between; align-items: baseline; gap: 10px; }
.item .amount { flex: 0 0 auto; font-weight: 600; font-variant-numeric: tabular-nums; }
.item .meta { overflow-wrap: anywhere; }
.actions { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
button.danger { background: transparent; color: var(--danger); border: 1px solid var(--danger); }
.confirm { margin-top: 10px; padding: 10px 12px; border-radius: 10px;
           background: color-mix(in srgb, var(--accent) 12%, transparent); }
.confirm p { margin: 0 0 8px; font-weight: 600; }
.check { display: flex; gap: 8px; padding: 6px 0; }
.check .name { font-weight: 600; }
.check .detail { color: var(--hint); font-size: 14px; word-break: break-word; }
.error { color: var(--danger); font-size: 14px; word-break: break-word; }
.counts { display: flex; gap: 14px; flex-wrap: wrap; font-variant-numeric: tabular-nums; }
.counts b { display: block; font-size: 18px; }
.counts span { color: var(--hint); font-size: 13px; }
#open-admin { margin-top: 18px; width: 100%; }
`;

export const ADMIN_SCRIPT = String.raw`
(function () {
  "use strict";
  var A = {
    en: {
      title: "Admin", back: "My membership", loading: "Loading…", failed: "Could not load this panel.",
      forbidden: "This view is for the bot's admins.", retry: "Try again",
      tabs: { overview: "Overview", members: "Members", codes: "Codes", broadcasts: "Broadcasts", health: "Health" },
      membersNow: "Members with access now", lastDays: "Last {n} days",
      stat: { "new": "New", renewed: "Renewed", lapsed: "Lapsed", refunded: "Refunded" },
      revenue: "Revenue per month", noRevenue: "No payments in the last 12 months.",
      kept: "kept", refundedLegend: "refunded",
      units: function (c) { return c === "XTR" ? "Stars" : "minor units, as received"; },
      lastMonth: "this month: {v}",
      search: "Telegram id or @username", find: "Find", noMatch: "No member matches.",
      access: "Access", until: "until {date}", noAccess: "no access", endedOn: "ended {date}", blocked: "blocked the bot",
      timeline: "Timeline", payments: "Payments", noTimeline: "No windows or items.", noPayments: "No payments.",
      grant: "Grant", revoke: "Revoke", daysLabel: "days",
      confirmGrant: "Grant {days} to {who}?", confirmRevoke: "Revoke all access of {who}? Banked time before now is forfeited.",
      confirm: "Confirm", cancel: "Cancel", granted: "Granted.", revoked: "Revoked.", duplicate: "Already done.",
      actionFailed: "The action failed. Nothing was changed.", badDays: "Days: a whole number from 1 to 3650.",
      paidAt: "paid {date}", grantedAt: "granted {date}", covers: "covers", coversNothing: "covers nothing",
      days: function (n) { return n + (n === 1 ? " day" : " days"); },
      refunded: "refunded", live: "active", ended: "ended", upcoming: "upcoming", cancelledBadge: "cancelled",
      autoRenew: "auto-renew",
      notAvailable: "Not available on this deployment yet.",
      codesEmpty: "No access codes yet.", broadcastsEmpty: "No broadcasts yet.",
      codeFields: { days: "days", max_uses: "uses", uses: "used", valid_until: "valid until", active: "active",
                    valid_days: "valid for (days)" },
      codeStates: { active: "active", off: "off", expired: "expired", exhausted: "used up" },
      codeNew: "Create code", codeOff: "Switch off", badCode: "Days, uses and validity: whole numbers.",
      confirmCode: "Create a code for {days}, {uses} use(s)?", validFor: "Valid for {days}.",
      codeCreated: "Code {code} created.", confirmOff: "Switch off {code}? It can no longer be redeemed.",
      codeIsOff: "{code} is off.",
      bc: { sent: "sent", failed: "failed", blocked: "blocked", left: "left" },
      audience: "audience", checks: "Checks", failedDeliveries: "Failed deliveries",
      noFailed: "No failed deliveries.", failed24h: "{n} in the last 24 hours", webhookError: "last Telegram error: {e} ({date})",
      checkNames: { "telegram webhook": "Telegram webhook", "tribute api key": "Tribute API key",
                    "tribute api": "Tribute API", "cron job": "Cron job", "outbox backlog": "Outbox backlog", "tribute inbox": "Tribute inbox" },
      kinds: { subscription: "subscription", purchase: "purchase", grant: "grant", code: "code", bonus: "unused days",
               renewal: "renewal", refund: "refund" },
      providers: { tribute: "Tribute", telegram_stars: "Telegram Stars", manual: "Manual" },
      statuses: { paid: "paid", refunded: "refunded", unmatched: "unmatched" }
    },
    ru: {
      title: "Админ", back: "Моя подписка", loading: "Загрузка…", failed: "Не удалось загрузить раздел.",
      forbidden: "Этот раздел только для администраторов бота.", retry: "Повторить",
      tabs: { overview: "Обзор", members: "Участники", codes: "Коды", broadcasts: "Рассылки", health: "Состояние" },
      membersNow: "Участников с доступом сейчас", lastDays: "За {n} дней",
      stat: { "new": "Новые", renewed: "Продлили", lapsed: "Отпали", refunded: "Возвраты" },
      revenue: "Выручка по месяцам", noRevenue: "За последние 12 месяцев платежей нет.",
      kept: "получено", refundedLegend: "возвращено",
      units: function (c) { return c === "XTR" ? "звёзды" : "в минимальных единицах, как получено"; },
      lastMonth: "этот месяц: {v}",
      search: "Telegram id или @username", find: "Найти", noMatch: "Никого не нашлось.",
      access: "Доступ", until: "до {date}", noAccess: "нет доступа", endedOn: "закончился {date}",
      blocked: "заблокировал бота",
      timeline: "Хронология", payments: "Платежи", noTimeline: "Нет окон и позиций.", noPayments: "Платежей нет.",
      grant: "Выдать", revoke: "Отозвать", daysLabel: "дней",
      confirmGrant: "Выдать {days} пользователю {who}?",
      confirmRevoke: "Отозвать весь доступ у {who}? Накопленное до этого момента время сгорит.",
      confirm: "Подтвердить", cancel: "Отмена", granted: "Выдано.", revoked: "Отозвано.", duplicate: "Уже сделано.",
      actionFailed: "Не получилось. Ничего не изменено.", badDays: "Дни: целое число от 1 до 3650.",
      paidAt: "оплачено {date}", grantedAt: "выдано {date}", covers: "покрывает", coversNothing: "ничего не покрывает",
      days: function (n) {
        var a = Math.abs(n) % 100, b = a % 10;
        var w = a > 10 && a < 20 ? "дней" : b === 1 ? "день" : b >= 2 && b <= 4 ? "дня" : "дней";
        return n + " " + w;
      },
      refunded: "возврат", live: "действует", ended: "закончился", upcoming: "впереди", cancelledBadge: "отменена",
      autoRenew: "автопродление",
      notAvailable: "В этой установке пока недоступно.",
      codesEmpty: "Кодов доступа пока нет.", broadcastsEmpty: "Рассылок пока не было.",
      codeFields: { days: "дней", max_uses: "активаций", uses: "использовано", valid_until: "действует до",
                    active: "активен", valid_days: "действует (дней)" },
      codeStates: { active: "активен", off: "выключен", expired: "истёк", exhausted: "исчерпан" },
      codeNew: "Создать код", codeOff: "Выключить", badCode: "Дни, активации и срок: целые числа.",
      confirmCode: "Создать код на {days}, активаций: {uses}?", validFor: "Действует {days}.",
      codeCreated: "Код {code} создан.", confirmOff: "Выключить {code}? Его больше нельзя будет активировать.",
      codeIsOff: "{code} выключен.",
      bc: { sent: "отправлено", failed: "ошибки", blocked: "заблокировали", left: "осталось" },
      audience: "аудитория", checks: "Проверки", failedDeliveries: "Неудачные доставки",
      noFailed: "Неудачных доставок нет.", failed24h: "{n} за последние 24 часа",
      webhookError: "последняя ошибка Telegram: {e} ({date})",
      checkNames: { "telegram webhook": "Вебхук Telegram", "tribute api key": "Ключ Tribute API",
                    "tribute api": "Tribute API", "cron job": "Задача cron", "outbox backlog": "Очередь отправки", "tribute inbox": "Входящие Tribute" },
      kinds: { subscription: "подписка", purchase: "покупка", grant: "выдано вручную", code: "код", bonus: "остаток дней",
               renewal: "продление", refund: "возврат" },
      providers: { tribute: "Tribute", telegram_stars: "Telegram Stars", manual: "Вручную" },
      statuses: { paid: "оплачен", refunded: "возвращён", unmatched: "не сопоставлен" }
    }
  };
  var SVG = "http://www.w3.org/2000/svg";

  function open(S) {
    var t = A[S.lang] || A.en;
    var el = S.el, fill = S.fill, fmtDate = S.fmtDate;
    var root = document.getElementById("app");
    var current = "overview";

    function state(s) { document.documentElement.dataset.admin = s; }
    function provider(p) { return t.providers[p] || p || "—"; }
    function kind(k) { return t.kinds[k] || k; }
    function num(n) { return Number(n).toLocaleString(S.locale); }
    function amount(v, cur) { return num(v) + " " + (cur === "XTR" ? "⭐" : String(cur).toUpperCase()); }
    function newRequestId() {
      if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
      var b = new Uint8Array(16); crypto.getRandomValues(b);
      return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    }
    function api(body) {
      return fetch(S.endpoint + "/admin", {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-init-data": S.initData },
        body: JSON.stringify(body)
      }).then(function (res) {
        if (!res.ok) { var e = new Error("HTTP " + res.status); e.status = res.status; throw e; }
        return res.json();
      });
    }
    function card(id) { var c = el("section", "card"); if (id) c.id = id; return c; }
    function badge(cls, text) { return el("span", "badge " + cls, text); }

    // ------------------------------------------------------------------ frame: title, back, tabs, body
    var body = el("div");
    var tabs = el("nav");
    tabs.id = "admin-tabs";
    SECTIONS.forEach(function (s) {
      var b = el("button", null, t.tabs[s.id]);
      b.dataset.tab = s.id;
      b.addEventListener("click", function () { go(s.id); });
      tabs.appendChild(b);
    });
    var back = el("button", "secondary", "← " + t.back);
    back.id = "admin-back";
    back.addEventListener("click", function () { state(""); S.back(); });
    var title = document.getElementById("title");
    title.textContent = t.title;
    document.title = t.title;
    var top = el("div", "topbar");
    top.append(title, back);
    root.replaceChildren(tabs, body);
    root.parentNode.insertBefore(top, root);
    S.onLeave(function () { top.remove(); document.body.insertBefore(title, root); });

    function go(id, arg) {
      current = id;
      Array.prototype.forEach.call(tabs.children, function (b) { b.classList.toggle("on", b.dataset.tab === (id === "member" ? "members" : id));
      });
      var s = SECTIONS.filter(function (x) { return x.id === id; })[0];
      if (s.local) { body.replaceChildren(s.render(null, arg)); state(id + ":ready"); return; }
      body.replaceChildren(el("div", "hint", t.loading));
      state(id + ":loading");
      api(s.request(arg)).then(function (r) {
        if (current !== id) return;
        body.replaceChildren(s.render(r.data, arg));
        state(id + ":ready");
      }).catch(function (err) {
        if (current !== id) return;
        var retry = el("button", null, t.retry);
        retry.addEventListener("click", function () { go(id, arg); });
        body.replaceChildren(el("div", "card notice", err && err.status === 403 ? t.forbidden : t.failed), retry);
        state(id + ":error");
      });
    }

    // ------------------------------------------------------------------ overview
    function overview(d) {
      var wrap = el("div");
      var now = card("admin-now");
      now.append(el("div", "hint", t.membersNow), el("div", "big", num(d.members_now)));
      var stats = card("admin-stats");
      var table = el("table", "nums");
      var head = el("tr");
      head.appendChild(el("th", null, ""));
      d.periods.forEach(function (p) { head.appendChild(el("th", null, fill(t.lastDays, { n: p.days }))); });
      table.appendChild(head);
      ["new", "renewed", "lapsed", "refunded"].forEach(function (k) {
        var tr = el("tr");
        tr.dataset.stat = k;
        tr.appendChild(el("td", null, t.stat[k]));
        d.periods.forEach(function (p) { tr.appendChild(el("td", null, num(p[k]))); });
        table.appendChild(tr);
      });
      stats.appendChild(table);
      wrap.append(now, el("h2", null, t.revenue), revenueCard(d.months, d.revenue));
      wrap.insertBefore(stats, wrap.children[1]);
      return wrap;
    }

    function short(v) {
      var a = Math.abs(v);
      if (a >= 1e9) return (v / 1e9).toFixed(a >= 1e10 ? 0 : 1) + "B";
      if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
      if (a >= 1e4) return (v / 1e3).toFixed(a >= 1e5 ? 0 : 1) + "k";
      return String(v);
    }
    function monthLabel(ym) {
      var d = new Date(ym + "-01T00:00:00Z");
      return d.toLocaleString(S.locale, { month: "short", timeZone: "UTC" }).replace(".", "");
    }
    function svg(tag, attrs, text) {
      var n = document.createElementNS(SVG, tag);
      Object.keys(attrs).forEach(function (k) { n.setAttribute(k, attrs[k]); });
      if (text != null) n.textContent = text;
      return n;
    }

    // One small bar chart per currency (amounts are never converted, so never added across currencies).
    function revenueCard(months, rows) {
      var c = card("admin-revenue");
      if (!rows.length) { c.appendChild(el("div", "empty", t.noRevenue)); return c; }
      var byCur = {};
      rows.forEach(function (r) {
        (byCur[r.currency] = byCur[r.currency] || {})[r.month] = r;
      });
      Object.keys(byCur).sort().forEach(function (cur) {
        var data = months.map(function (m) {
          var r = byCur[cur][m];
          return { m: m, kept: r ? Number(r.amount) : 0, refunded: r ? Number(r.refunded) : 0 };
        });
        var max = Math.max.apply(null, data.map(function (x) { return x.kept + x.refunded; })) || 1;
        var W = 360, H = 150, top = 16, bottom = 18, gap = 6;
        var bw = (W - gap) / data.length - gap;
        var s = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": t.revenue + " " + cur });
        s.appendChild(svg("line", { "class": "axis", x1: 0, x2: W, y1: H - bottom + 0.5, y2: H - bottom + 0.5 }));
        data.forEach(function (x, i) {
          var scale = (H - top - bottom) / max;
          var x0 = gap + i * (bw + gap);
          var hk = Math.round(x.kept * scale), hr = Math.round(x.refunded * scale);
          var y = H - bottom - hk;
          if (hk > 0) {
            var bar = svg("rect", { "class": "bar", x: x0, y: y, width: bw, height: hk, rx: 2 });
            bar.appendChild(svg("title", {}, x.m + ": " + amount(x.kept, cur)));
            s.appendChild(bar);
          }
          if (hr > 0) s.appendChild(svg("rect", { "class": "refund", x: x0, y: y - hr, width: bw, height: hr, rx: 2 }));
          if (x.kept > 0) {
            s.appendChild(svg("text", { x: x0 + bw / 2, y: y - hr - 4, "text-anchor": "middle" }, short(x.kept)));
          }
          s.appendChild(svg("text", { x: x0 + bw / 2, y: H - 5, "text-anchor": "middle" }, monthLabel(x.m)));
        });
        var box = el("div", "chart");
        box.dataset.currency = cur;
        var head = el("div", "cur");
        var last = data[data.length - 1];
        head.append(el("span", null, String(cur).toUpperCase() + " · " + t.units(cur)),
                    el("span", "hint", fill(t.lastMonth, { v: amount(last.kept, cur) })));
        box.append(head, s);
        c.appendChild(box);
      });
      var legend = el("div", "legend");
      var k = el("i"); k.style.background = "var(--button)";
      var r = el("i"); r.style.background = "var(--danger)"; r.style.opacity = ".55";
      legend.append(k, document.createTextNode(t.kept), r, document.createTextNode(t.refundedLegend));
      c.appendChild(legend);
      return c;
    }

    // ------------------------------------------------------------------ members: search, one member
    var lastQuery = "";
    function membersSearch(_, arg) {
      var wrap = el("div");
      var c = card("admin-search");
      var form = el("form", "search");
      var input = el("input");
      input.type = "search"; input.placeholder = t.search; input.value = lastQuery; input.id = "member-query";
      input.setAttribute("autocomplete", "off");
      var btn = el("button", null, t.find);
      btn.type = "submit";
      form.append(input, btn);
      var results = el("div");
      results.id = "member-results";
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var q = input.value.trim();
        if (!q) return;
        lastQuery = q;
        results.replaceChildren(el("div", "hint", t.loading));
        state("members:loading");
        api({ panel: "members", query: q }).then(function (r) {
          results.replaceChildren();
          if (!r.data.length) results.appendChild(el("div", "empty", t.noMatch));
          r.data.forEach(function (m) {
            var row = el("div", "result");
            row.dataset.user = m.telegram_user_id;
            var who = String(m.telegram_user_id) + (m.username ? " · @" + m.username : "") +
              (m.first_name ? " · " + m.first_name : "");
            row.append(el("div", "who", who), el("div", "meta", accessText(m.has_access, m.access_until)));
            row.addEventListener("click", function () { go("member", m.telegram_user_id); });
            results.appendChild(row);
          });
          state("members:ready");
        }).catch(function () { results.replaceChildren(el("div", "error", t.failed)); state("members:error"); });
      });
      c.append(form, results);
      wrap.appendChild(c);
      if (arg && arg.query) { input.value = arg.query; setTimeout(function () { form.requestSubmit(); }, 0); }
      return wrap;
    }

    function accessText(has, until) {
      if (has) return t.access + ": " + fill(t.until, { date: fmtDate(until) });
      if (until) return t.access + ": " + fill(t.endedOn, { date: fmtDate(until) });
      return t.access + ": " + t.noAccess;
    }

    function member(d, id) {
      var s = d.summary;
      var wrap = el("div");
      var who = el("section", "card");
      who.id = "admin-member";
      who.dataset.user = id;
      var name = String(id) + (s.username ? " · @" + s.username : "") + (s.first_name ? " · " + s.first_name : "");
      who.append(el("div", "status" + (s.has_access ? " on" : ""), name),
                 el("div", "meta", accessText(s.has_access, s.has_access ? (s.live_until || s.access_until) : s.access_until)));
      if (s.blocked) who.appendChild(el("div", "error", t.blocked));
      who.appendChild(actions(id, name));
      wrap.append(who, el("h2", null, t.timeline), timeline(d.timeline), el("h2", null, t.payments), payments(d.payments));
      return wrap;
    }

    // Grant / revoke: a confirmation step, then one request whose id was made when it was confirmed,
    // so a double click or a retry is one change.
    function actions(id, name) {
      var box = el("div");
      var row = el("div", "actions");
      row.style.marginTop = "10px";
      var days = el("input", "days");
      days.type = "number"; days.min = "1"; days.max = "3650"; days.value = "30"; days.id = "grant-days";
      var grant = el("button", null, t.grant);
      grant.id = "grant";
      var revoke = el("button", "danger", t.revoke);
      revoke.id = "revoke";
      row.append(days, el("span", "hint", t.daysLabel), grant, revoke);
      var confirmBox = el("div");
      box.append(row, confirmBox);

      function ask(question, req) {
        confirmIn(confirmBox, question, req, function (r) {
          S.toast(/^duplicate/.test(r.result) ? t.duplicate : req.action === "grant" ? t.granted : t.revoked);
          body.replaceChildren(member(r.data.member, id));
        }, "member");
      }
      grant.addEventListener("click", function () {
        var n = Number(days.value);
        if (!Number.isInteger(n) || n < 1 || n > 3650) { S.toast(t.badDays); return; }
        ask(fill(t.confirmGrant, { days: t.days(n), who: name }), { action: "grant", user_id: id, days: n });
      });
      revoke.addEventListener("click", function () {
        ask(fill(t.confirmRevoke, { who: name }), { action: "revoke", user_id: id });
      });
      return box;
    }

    function timeline(items) {
      var c = card("admin-timeline");
      if (!items.length) { c.appendChild(el("div", "empty", t.noTimeline)); return c; }
      var list = el("ul");
      var now = Date.now();
      items.slice().reverse().forEach(function (w) {
        var li = el("li", "item");
        var what = el("div", "what", provider(w.provider) + " · " + kind(w.kind) + (w.plan_code ? " · " + w.plan_code : ""));
        var segs = w.segments || [];
        var from = segs.length ? segs[0][0] : w.starts_at, to = segs.length ? segs[segs.length - 1][1] : w.expires_at;
        var b;
        if (w.refunded) b = badge("refunded", t.refunded);
        else if (!segs.length) b = badge("ended", t.ended);
        else if (new Date(from).getTime() > now) b = badge("live", t.upcoming);
        else if (new Date(to).getTime() > now) b = badge("live", t.live);
        else b = badge("ended", t.ended);
        what.appendChild(b);
        if (w.auto_renew && !w.refunded) what.appendChild(badge("live", t.autoRenew));
        li.appendChild(what);
        var when = w.kind === "grant" ? t.grantedAt : t.paidAt;
        li.appendChild(el("div", "meta", fill(when, { date: fmtDate(w.event_at) }) +
          (w.days != null ? " · " + t.days(Math.round(Number(w.days) * 100) / 100) : "")));
        if (segs.length) {
          segs.forEach(function (p) { li.appendChild(el("div", "meta", t.covers + " " + fmtDate(p[0]) + " → " + fmtDate(p[1]))); });
        } else li.appendChild(el("div", "meta", t.coversNothing));
        li.dataset.kind = w.kind;
        li.dataset.status = w.refunded ? "refunded" : w.status;
        list.appendChild(li);
      });
      c.appendChild(list);
      return c;
    }

    function payments(rows) {
      var c = card("admin-payments");
      if (!rows.length) { c.appendChild(el("div", "empty", t.noPayments)); return c; }
      rows.forEach(function (p) {
        var li = el("div", "item");
        var head = el("div", "head");
        var what = el("div", "what", provider(p.provider) + " · " + kind(p.kind) + (p.plan_code ? " · " + p.plan_code : ""));
        if (p.status === "refunded") what.appendChild(badge("refunded", t.statuses.refunded));
        head.append(what, el("span", "amount", (p.kind === "refund" ? "−" : "") + amount(p.amount, p.currency)));
        var ref = String(p.telegram_payment_charge_id || p.external_id || "");
        var shown = ref.length > 28 ? ref.slice(0, 24) + "…" : ref;
        var meta = el("div", "meta", fmtDate(p.paid_at) + (shown ? " · " + shown : ""));
        meta.title = ref;
        li.append(head, meta);
        c.appendChild(li);
      });
      return c;
    }

    // ------------------------------------------------------------------ codes, broadcasts (other branches)
    function pick(o, names) {
      for (var i = 0; i < names.length; i++) if (o[names[i]] != null) return o[names[i]];
      return null;
    }
    // One confirmation box per card: the request id is made when the box opens, so a double click on
    // Confirm (or a retry) is one change. view names the state the page reports (default: the tab).
    function confirmIn(box, question, req, done, view) {
      var at = view || current;
      var rid = newRequestId();
      var c = el("div", "confirm");
      c.id = "confirm";
      var yes = el("button", null, t.confirm);
      yes.id = "confirm-yes";
      var no = el("button", "secondary", t.cancel);
      no.id = "confirm-no";
      var buttons = el("div", "buttons");
      buttons.append(yes, no);
      c.append(el("p", null, question), buttons);
      box.replaceChildren(c);
      no.addEventListener("click", function () { box.replaceChildren(); });
      yes.addEventListener("click", function () {
        yes.disabled = true; no.disabled = true;
        if (req.action !== "code_off") req.request_id = rid;
        state(at + ":saving");
        api(req).then(function (r) { done(r); state(at + ":ready"); }).catch(function () {
          yes.disabled = false; no.disabled = false;
          S.toast(t.actionFailed);
          state(at + ":ready");
        });
      });
    }

    function codes(d) {
      var wrap = el("div");
      var c = card("admin-codes");
      if (!d.available) { c.appendChild(el("div", "empty", t.notAvailable)); return c; }
      // create: days, uses, valid for (days, optional)
      var form = card("code-form");
      var row = el("div", "actions");
      function num(id, value, label, max) {
        var i = el("input", "days");
        i.type = "number"; i.min = "1"; i.max = String(max); i.value = value; i.id = id;
        var l = el("label", "hint");
        l.append(el("div", null, label), i);
        row.appendChild(l);
        return i;
      }
      var days = num("code-days", "30", t.codeFields.days, 3650);
      var uses = num("code-uses", "1", t.codeFields.max_uses, 1000000);
      var valid = num("code-valid", "", t.codeFields.valid_days, 3650);
      var create = el("button", null, t.codeNew);
      create.id = "code-new";
      create.style.alignSelf = "flex-end";
      row.appendChild(create);
      var formConfirm = el("div");
      form.append(row, formConfirm);
      function whole(input, max, optional) {
        if (optional && input.value === "") return null;
        var n = Number(input.value);
        return Number.isInteger(n) && n >= 1 && n <= max ? n : NaN;
      }
      create.addEventListener("click", function () {
        var n = whole(days, 3650), u = whole(uses, 1000000), v = whole(valid, 3650, true);
        if ([n, u, v].some(function (x) { return x !== null && isNaN(x); })) { S.toast(t.badCode); return; }
        var q = fill(t.confirmCode, { days: t.days(n), uses: u }) + (v ? " " + fill(t.validFor, { days: t.days(v) }) : "");
        confirmIn(formConfirm, q, { action: "code_new", days: n, max_uses: u, valid_days: v }, function (r) {
          S.toast(/^duplicate/.test(r.result) ? t.duplicate : fill(t.codeCreated, { code: r.data.code }));
          body.replaceChildren(codes(r.data.codes));
        });
      });
      wrap.appendChild(form);
      if (!d.codes.length) c.appendChild(el("div", "empty", t.codesEmpty));
      d.codes.forEach(function (x) {
        var li = el("div", "item");
        var code = String(pick(x, ["code"]) || "—");
        li.dataset.code = code;
        var st = x.state || (pick(x, ["disabled_at"]) != null ? "off" : "active");
        li.dataset.state = st;
        var head = el("div", "head");
        var what = el("div", "what", code);
        what.appendChild(badge(st === "active" ? "live" : "ended", t.codeStates[st] || st));
        head.appendChild(what);
        var parts = [];
        var dd = pick(x, ["days", "duration_days"]);
        if (dd != null) parts.push(t.days(Number(dd)));
        var used = pick(x, ["used", "uses", "redemptions"]);
        var max = pick(x, ["max_uses"]);
        if (used != null || max != null) parts.push(t.codeFields.uses + " " + (used != null ? used : "?") + (max != null ? "/" + max : ""));
        var until = pick(x, ["valid_until", "expires_at"]);
        if (until) parts.push(t.codeFields.valid_until + " " + fmtDate(until));
        var box = el("div");
        if (st !== "off") {
          var off = el("button", "danger", t.codeOff);
          off.dataset.off = code;
          off.style.flex = "0 0 auto";
          off.addEventListener("click", function () {
            confirmIn(box, fill(t.confirmOff, { code: code }), { action: "code_off", code: code }, function (r) {
              S.toast(fill(t.codeIsOff, { code: code }));
              body.replaceChildren(codes(r.data.codes));
            });
          });
          head.appendChild(off);
        }
        li.append(head, el("div", "meta", parts.join(" · ")), box);
        c.appendChild(li);
      });
      wrap.appendChild(c);
      return wrap;
    }
    function broadcasts(d) {
      var c = card("admin-broadcasts");
      if (!d.available) { c.appendChild(el("div", "empty", t.notAvailable)); return c; }
      if (!d.broadcasts.length) { c.appendChild(el("div", "empty", t.broadcastsEmpty)); return c; }
      d.broadcasts.forEach(function (b) {
        var li = el("div", "item");
        li.dataset.broadcast = b.id;
        li.append(el("div", "what", "#" + b.id + " · " + t.audience + ": " + b.audience + " · " + b.status),
                  el("div", "meta", fmtDate(b.confirmed_at || b.created_at)));
        var counts = el("div", "counts");
        ["sent", "failed", "blocked", "left"].forEach(function (k) {
          var n = el("div"); n.dataset.count = k;
          n.append(el("b", null, num(b[k] || 0)), el("span", null, t.bc[k]));
          counts.appendChild(n);
        });
        li.appendChild(counts);
        c.appendChild(li);
      });
      return c;
    }

    // ------------------------------------------------------------------ health
    function health(d) {
      var wrap = el("div");
      var c = card("admin-checks");
      d.checks.forEach(function (x) {
        var row = el("div", "check");
        row.dataset.check = x.name;
        row.dataset.ok = x.ok ? "1" : "0";
        var text = el("div");
        text.append(el("div", "name", t.checkNames[x.name] || x.name), el("div", "detail", x.detail));
        row.append(el("span", null, x.ok ? "✅" : "❌"), text);
        c.appendChild(row);
      });
      if (d.webhook && d.webhook.last_error) {
        c.appendChild(el("div", "error", fill(t.webhookError, { e: d.webhook.last_error, date: fmtDate(d.webhook.last_error_at) })));
      }
      var f = card("admin-failed");
      f.appendChild(el("div", "hint", fill(t.failed24h, { n: d.failed_24h })));
      if (!d.failed.length) f.appendChild(el("div", "empty", t.noFailed));
      d.failed.forEach(function (w) {
        var li = el("div", "item");
        li.append(el("div", "what", w.source + " · " + w.name), el("div", "meta", fmtDate(w.received_at)),
                  el("div", "error", w.error || ""));
        f.appendChild(li);
      });
      wrap.append(el("h2", null, t.checks), c, el("h2", null, t.failedDeliveries), f);
      return wrap;
    }

    var SECTIONS_BY_ID = {};
    SECTIONS.forEach(function (s) { SECTIONS_BY_ID[s.id] = s; });
    SECTIONS_BY_ID.overview.render = overview;
    SECTIONS_BY_ID.members.render = membersSearch;
    SECTIONS_BY_ID.codes.render = codes;
    SECTIONS_BY_ID.broadcasts.render = broadcasts;
    SECTIONS_BY_ID.health.render = health;
    MEMBER.render = member;

    go("overview");
    return { go: go };
  }

  // The sections: a tab each (in this order) and the body that asks the admin route for it.
  var SECTIONS = [
    { id: "overview", request: function () { return { panel: "overview" }; } },
    { id: "members", local: true },
    { id: "codes", request: function () { return { panel: "codes" }; } },
    { id: "broadcasts", request: function () { return { panel: "broadcasts" }; } },
    { id: "health", request: function () { return { panel: "health" }; } }
  ];
  // Not a tab: a member opened from the search results (the Members tab stays highlighted).
  var MEMBER = { id: "member", request: function (id) { return { panel: "member", user_id: id }; } };
  var ALL = SECTIONS.concat([MEMBER]);
  SECTIONS.filter = function (f) { return Array.prototype.filter.call(ALL, f); };

  window.MiniAppAdmin = { open: open };
})();
`;
