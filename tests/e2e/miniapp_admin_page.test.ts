/// <reference lib="dom" />
// The admin view of the Mini App page in a real headless Chromium (like miniapp_page.test.ts): an admin
// sees every panel with seeded data, grants and revokes through the confirmation step (a double click
// is one grant), in English and Russian and in Telegram's theme; a member never sees the admin view.
// Screenshots: .local/miniapp-admin-*.png on every run; docs/ (shown in the README) when missing or
// with UPDATE_SCREENSHOTS=1.
import assert from "node:assert/strict";
import type { Browser, Page } from "puppeteer-core";
import { ADMIN_ID, type Harness, startHarness } from "../support/harness.ts";
import {
  CHROMIUM,
  DARK,
  exists,
  initDataFor,
  launchChromium,
  LIGHT,
  type TestWebAppUser,
} from "../support/miniapp.ts";
import { ANN, BOB, CAT, seedAdminData, WEBHOOK_ERROR } from "../support/admin_seed.ts";

const haveChromium = exists(CHROMIUM);
if (!haveChromium) console.warn(`SKIPPED: the admin view browser test needs ${CHROMIUM}`);

const updateDocs = Deno.env.get("UPDATE_SCREENSHOTS") === "1";
const SHOTS = ["miniapp-admin-overview.png", "miniapp-admin-member.png"];

async function screenshot(page: Page, name: string) {
  const run = new URL(`../../.local/${name}`, import.meta.url).pathname;
  const docs = new URL(`../../docs/${name}`, import.meta.url).pathname;
  await Deno.mkdir(new URL("../../.local", import.meta.url).pathname, { recursive: true });
  await page.screenshot({ path: run, fullPage: true });
  if (updateDocs || !exists(docs)) await Deno.copyFile(run, docs);
}

function installFakeWebApp(initData: string, user: unknown, theme: Record<string, string>, scheme: string) {
  // deno-lint-ignore no-explicit-any
  const w = window as any;
  const noop = () => {};
  w.Telegram = {
    WebApp: {
      initData,
      initDataUnsafe: { user, auth_date: 0 },
      themeParams: theme,
      colorScheme: scheme,
      version: "8.0",
      platform: "tdesktop",
      ready: noop,
      expand: noop,
      setHeaderColor: noop,
      setBackgroundColor: noop,
      onEvent: noop,
      openLink: noop,
      openTelegramLink: noop,
    },
  };
}

async function openApp(
  browser: Browser,
  h: Harness,
  user: TestWebAppUser,
  opts: { dark?: boolean; hash?: string } = {},
): Promise<{ page: Page; posts: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 420, height: 860, deviceScaleFactor: 2 });
  await page.emulateTimezone("UTC");
  const posts: string[] = [];
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    const url = req.url();
    if (req.method() === "POST") posts.push(`${new URL(url).pathname} ${req.postData() ?? ""}`);
    if (url.startsWith("https://telegram.org/")) {
      req.respond({ status: 200, contentType: "application/javascript", body: "/* stub */" });
    } else if (url.startsWith("http://127.0.0.1:")) req.continue();
    else req.abort();
  });
  await page.evaluateOnNewDocument(
    installFakeWebApp,
    await initDataFor(user),
    { first_name: "Test", ...user },
    opts.dark ? DARK : LIGHT,
    opts.dark ? "dark" : "light",
  );
  await page.goto(`${h.url}/app${opts.hash ?? ""}`, { waitUntil: "domcontentloaded" });
  await page.waitForFunction(() => document.documentElement.dataset.state === "ready", { timeout: 15_000 });
  return { page, posts };
}

const text = (page: Page, selector: string) => page.$eval(selector, (el) => (el as HTMLElement).innerText);
const adminState = (page: Page, state: string) =>
  page.waitForFunction((s) => document.documentElement.dataset.admin === s, { timeout: 15_000 }, state);

Deno.test({
  name: "mini app admin view in headless Chromium: every panel, grant/revoke with confirmation, ru, members",
  ignore: !haveChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await startHarness();
    const chromium = await launchChromium("miniapp-admin-chromium-");
    const browser = chromium.browser;
    try {
      await seedAdminData(h);
      const admin = { id: ADMIN_ID, first_name: "Admin", language_code: "en" };

      await t.step("a member: no admin button, no admin request", async () => {
        const { page, posts } = await openApp(browser, h, { id: ANN, language_code: "en" });
        try {
          assert.equal(await page.$("#open-admin"), null);
          assert.doesNotMatch(await text(page, "body"), /Admin/);
          assert.ok(posts.every((p) => !p.includes("/app/admin")), posts.join("\n"));
          // even with #admin in the URL
          const other = await openApp(browser, h, { id: BOB }, { hash: "#admin" });
          assert.equal(await other.page.$("#admin-tabs"), null);
          assert.ok(other.posts.every((p) => !p.includes("/app/admin")));
          await other.page.close();
        } finally {
          await page.close();
        }
      });

      await t.step("admin: overview with numbers and the revenue chart; screenshot", async () => {
        const { page } = await openApp(browser, h, admin);
        try {
          await page.click("#open-admin");
          await adminState(page, "overview:ready");
          assert.equal(await text(page, "h1"), "Admin");
          assert.deepEqual(
            await page.$$eval("#admin-tabs button", (els) => els.map((e) => (e as HTMLElement).innerText)),
            ["Overview", "Members", "Codes", "Broadcasts", "Health"],
          );
          assert.match(await text(page, "#admin-now"), /Members with access now\s+2/);
          const stats = await page.$$eval(
            "#admin-stats tr[data-stat]",
            (rows) => rows.map((r) => (r as HTMLElement).innerText.replace(/\s+/g, " ").trim()),
          );
          assert.deepEqual(stats, ["New 1 3", "Renewed 0 1", "Lapsed 1 2", "Refunded 1 1"]);
          assert.match(await text(page, "#admin-stats"), /Last 7 days\s+Last 30 days/);
          // one chart per currency, 12 months each, bars drawn
          const currencies = await page.$$eval(
            "#admin-revenue .chart",
            (els) => els.map((e) => (e as HTMLElement).dataset.currency!.toUpperCase()),
          );
          assert.deepEqual(currencies.sort(), ["EUR", "XTR"]);
          const bars = await page.$$eval("#admin-revenue svg rect.bar", (els) => els.length);
          assert.ok(bars >= 20, `bars: ${bars}`);
          assert.equal(await page.$$eval("#admin-revenue svg rect.refund", (els) => els.length), 1);
          const months = await page.$$eval(
            '#admin-revenue .chart[data-currency="XTR"] svg > text',
            (els) => els.map((e) => e.textContent ?? ""),
          );
          assert.ok(months.includes(new Date().toLocaleString("en-GB", { month: "short", timeZone: "UTC" })));
          const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          assert.equal(bg, "rgb(240, 240, 240)");
          await screenshot(page, SHOTS[0]);
        } finally {
          await page.close();
        }
      });

      await t.step(
        "admin: find a member, timeline and payments; grant (double click) and revoke",
        async () => {
          const { page } = await openApp(browser, h, admin, { hash: "#admin" });
          try {
            await adminState(page, "overview:ready");
            await page.click('#admin-tabs button[data-tab="members"]');
            await page.type("#member-query", "@ann");
            await page.keyboard.press("Enter");
            await adminState(page, "members:ready");
            const results = await page.$$eval(
              "#member-results .result",
              (els) => els.map((e) => (e as HTMLElement).innerText.replace(/\s+/g, " ")),
            );
            assert.equal(results.length, 2);
            assert.match(results[0], new RegExp(`^${ANN} · @ann_lee · Ann Access: until`));
            assert.match(results[1], /@annabel · Annabel Access: ended/);
            await page.click(`#member-results .result[data-user="${ANN}"]`);
            await adminState(page, "member:ready");
            const tl = await page.$$eval(
              "#admin-timeline li",
              (els) => els.map((e) => (e as HTMLElement).innerText.replace(/\s+/g, " ")),
            );
            assert.equal(tl.length, 3);
            assert.match(tl[0], /^Manual · grant\s*upcoming paid|^Manual · grant\s*upcoming granted/);
            assert.match(tl[1], /Telegram Stars · purchase · month\s*refunded.*covers nothing/);
            assert.match(tl[2], /Tribute · subscription\s*active\s*auto-renew.*covers/);
            const pays = await text(page, "#admin-payments");
            assert.match(pays, /250 ⭐/);
            assert.match(pays, /700 EUR/);
            assert.match(pays, /charge-ann/);
            await screenshot(page, SHOTS[1]);

            // grant to Cat: confirm step, then a double click on Confirm is one grant
            await page.click('#admin-tabs button[data-tab="members"]');
            await page.$eval("#member-query", (el) => ((el as HTMLInputElement).value = ""));
            await page.type("#member-query", String(CAT));
            await page.keyboard.press("Enter");
            await adminState(page, "members:ready");
            await page.click(`#member-results .result[data-user="${CAT}"]`);
            await adminState(page, "member:ready");
            const grantsBefore = await grantCount(h, CAT);
            await page.$eval("#grant-days", (el) => ((el as HTMLInputElement).value = ""));
            await page.type("#grant-days", "14");
            await page.click("#grant");
            assert.match(await text(page, "#confirm"), new RegExp(`Grant 14 days to ${CAT} · @annabel`));
            assert.equal(await grantCount(h, CAT), grantsBefore, "nothing before the confirmation");
            await page.click("#confirm-yes", { count: 2 });
            await adminState(page, "member:ready");
            await page.waitForSelector("#admin-member .status.on");
            assert.equal(await grantCount(h, CAT), grantsBefore + 1);
            const [rec] = await h.sql`select command, args from public.admin_actions
                                    where command = 'grant' order by id desc limit 1`;
            assert.equal(rec.args.user_id, CAT);
            assert.equal(rec.args.days, 14);

            // revoke: cancel first (nothing happens), then confirm
            await page.click("#revoke");
            await page.click("#confirm-no");
            assert.equal(await page.$("#confirm"), null);
            assert.equal(await hasAccess(h, CAT), true);
            await page.click("#revoke");
            assert.match(await text(page, "#confirm"), /Revoke all access/);
            await page.click("#confirm-yes");
            await page.waitForFunction(() => !document.querySelector("#admin-member .status.on"));
            assert.equal(await hasAccess(h, CAT), false);
          } finally {
            await page.close();
          }
        },
      );

      await t.step(
        "admin: codes (create, switch off), broadcasts, health with the doctor checks",
        async () => {
          const { page } = await openApp(browser, h, admin, { hash: "#admin" });
          try {
            await adminState(page, "overview:ready");
            await page.click('#admin-tabs button[data-tab="codes"]');
            await adminState(page, "codes:ready");
            assert.match(await text(page, "#admin-codes"), /No access codes yet/);
            // create: the form, a confirmation, a double click on Confirm is one code
            await page.$eval("#code-days", (el) => ((el as HTMLInputElement).value = ""));
            await page.type("#code-days", "10");
            await page.$eval("#code-uses", (el) => ((el as HTMLInputElement).value = ""));
            await page.type("#code-uses", "5");
            await page.click("#code-new");
            assert.match(await text(page, "#confirm"), /Create a code for 10 days, 5 use\(s\)\?/);
            await page.click("#confirm-yes", { count: 2 });
            await page.waitForSelector("#admin-codes .item[data-code]");
            await adminState(page, "codes:ready");
            const [row] = await h.sql`select code, days, max_uses, disabled_at from public.access_codes`;
            assert.equal((await h.sql`select count(*)::int as n from public.access_codes`)[0].n, 1);
            assert.deepEqual([row.days, row.max_uses, row.disabled_at], [10, 5, null]);
            assert.match(
              await text(page, "#admin-codes"),
              new RegExp(`${row.code}\\s*active[\\s\\S]*10 days · used 0/5`),
            );
            // switch off, confirmed
            await page.click(`button[data-off="${row.code}"]`);
            await page.click("#admin-codes #confirm-yes");
            await page.waitForSelector(`#admin-codes .item[data-state="off"]`);
            const [offRow] = await h
              .sql`select disabled_at from public.access_codes where code = ${row.code}`;
            assert.ok(offRow.disabled_at);
            assert.equal(await page.$(`button[data-off="${row.code}"]`), null);
            await page.screenshot({
              path: new URL("../../.local/miniapp-admin-codes.png", import.meta.url).pathname,
            });
            await page.click('#admin-tabs button[data-tab="broadcasts"]');
            await adminState(page, "broadcasts:ready");
            const counts = await page.$$eval(
              "#admin-broadcasts [data-count]",
              (els) => els.map((e) => (e as HTMLElement).innerText.replace(/\s+/g, " ").trim()),
            );
            assert.deepEqual(counts, ["1 sent", "1 failed", "1 blocked", "1 left"]);
            assert.match(await text(page, "#admin-broadcasts"), /#\d+ · audience: all · sending/);
            await page.click('#admin-tabs button[data-tab="health"]');
            await adminState(page, "health:ready");
            const checks = await page.$$eval(
              "#admin-checks .check",
              (els) => els.map((e) => `${(e as HTMLElement).dataset.check}=${(e as HTMLElement).dataset.ok}`),
            );
            assert.deepEqual(checks, [
              "telegram webhook=0",
              "tribute api key=1",
              "tribute api=1",
              "cron job=1",
              "outbox backlog=1",
              "tribute inbox=1",
            ]);
            assert.ok((await text(page, "#admin-checks")).includes(WEBHOOK_ERROR));
            const failed = await text(page, "#admin-failed");
            assert.match(failed, /1 in the last 24 hours/);
            assert.match(failed, /tribute · new_subscription/);
            assert.match(failed, /subscription_id/);
            // back to the member's own page
            await page.click("#admin-back");
            await page.waitForSelector("#access");
            assert.equal(await page.$("#admin-tabs"), null);
            assert.equal(await text(page, "h1"), "Your membership");
          } finally {
            await page.close();
          }
        },
      );

      await t.step("admin in Russian, dark theme", async () => {
        const { page } = await openApp(browser, h, { id: ADMIN_ID, language_code: "ru" }, {
          dark: true,
          hash: "#admin",
        });
        try {
          await adminState(page, "overview:ready");
          assert.equal(await text(page, "h1"), "Админ");
          assert.match(await text(page, "#admin-tabs"), /Обзор\s*Участники\s*Коды\s*Рассылки\s*Состояние/);
          assert.match(await text(page, "#admin-now"), /Участников с доступом сейчас\s+2/);
          assert.match(await text(page, "#admin-stats"), /За 7 дней\s+За 30 дней/);
          assert.match(await text(page, "#admin-stats"), /Новые/);
          assert.match(await text(page, "#admin-revenue"), /звёзды/);
          const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          assert.equal(bg, "rgb(15, 15, 15)");
        } finally {
          await page.close();
        }
      });
    } finally {
      await chromium.close();
      await h.close();
    }
  },
});

async function grantCount(h: Harness, user: number): Promise<number> {
  const [r] = await h.sql`select count(*)::int as n from public.subscriptions
                          where telegram_user_id = ${user} and kind = 'grant'`;
  return r.n;
}

async function hasAccess(h: Harness, user: number): Promise<boolean> {
  const [r] = await h.sql`select public.has_access(${user}) as v`;
  return r.v;
}
