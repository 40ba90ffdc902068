/// <reference lib="dom" />
// The Mini App page in a real headless Chromium (Debian's `chromium`, driven by puppeteer-core), served
// by the real handler. Telegram's script cannot load here: its request is answered with an empty
// script and a fake `window.Telegram.WebApp` (init data signed with the test bot token) stands in.
// Saves a screenshot of a member's page to .local/miniapp-member.png on every run, and to
// docs/miniapp-member.png (the one README shows) when that is missing or UPDATE_SCREENSHOTS=1, so a
// plain test run does not rewrite a committed file whose dates change every day.
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

const haveChromium = exists(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `SKIPPED: the Mini App browser test needs ${CHROMIUM} (apt-get install -y chromium; scripts/test.sh ` +
      "installs it when run as root)",
  );
}

const DOCS_SCREENSHOT = new URL("../../docs/miniapp-member.png", import.meta.url).pathname;
const RUN_SCREENSHOT = new URL("../../.local/miniapp-member.png", import.meta.url).pathname;
const updateDocsScreenshot = Deno.env.get("UPDATE_SCREENSHOTS") === "1" || !exists(DOCS_SCREENSHOT);

const TRIBUTE_LINK = "https://t.me/tribute/app?startapp=sAbC1";
const DAY = 86400_000;

type FakeCall = [string, ...unknown[]];

/** Runs in the page before any of its scripts: the Telegram client's side of a Mini App. */
function installFakeWebApp(initData: string, user: unknown, theme: Record<string, string>, scheme: string) {
  const calls: unknown[][] = [];
  // deno-lint-ignore no-explicit-any
  const w = window as any;
  w.__tgCalls = calls;
  w.Telegram = {
    WebApp: {
      initData,
      initDataUnsafe: { user, auth_date: 0 },
      themeParams: theme,
      colorScheme: scheme,
      version: "8.0",
      platform: "tdesktop",
      ready: () => calls.push(["ready"]),
      expand: () => calls.push(["expand"]),
      setHeaderColor: (c: string) => calls.push(["setHeaderColor", c]),
      setBackgroundColor: (c: string) => calls.push(["setBackgroundColor", c]),
      onEvent: (name: string) => calls.push(["onEvent", name]),
      openLink: (url: string) => calls.push(["openLink", url]),
      openTelegramLink: (url: string) => calls.push(["openTelegramLink", url]),
      openInvoice: (url: string, cb?: (status: string) => void) => {
        calls.push(["openInvoice", url]);
        setTimeout(() => cb?.("cancelled"), 0);
      },
    },
  };
}

interface Opened {
  page: Page;
  /** every URL the page asked for, in order */
  requests: string[];
  text(selector?: string): Promise<string>;
  calls(): Promise<FakeCall[]>;
  close(): Promise<void>;
}

async function openApp(
  browser: Browser,
  h: Harness,
  opts: { user?: TestWebAppUser; initData?: string; theme?: Record<string, string>; dark?: boolean } = {},
): Promise<Opened> {
  const page = await browser.newPage();
  await page.setViewport({ width: 420, height: 860, deviceScaleFactor: 2 });
  await page.emulateTimezone("UTC");
  const requests: string[] = [];
  await page.setRequestInterception(true);
  page.on("request", (req) => {
    const url = req.url();
    requests.push(`${req.method()} ${url}`);
    if (url.startsWith("https://telegram.org/")) {
      // Telegram's script would replace the fake; an empty script keeps the page's load order real.
      req.respond({
        status: 200,
        contentType: "application/javascript",
        body: "/* telegram-web-app.js stub */",
      });
    } else if (url.startsWith("http://127.0.0.1:")) req.continue();
    else req.abort();
  });
  if (opts.user) {
    const initData = opts.initData ?? await initDataFor(opts.user);
    await page.evaluateOnNewDocument(
      installFakeWebApp,
      initData,
      { first_name: "Test", ...opts.user },
      opts.theme ?? LIGHT,
      opts.dark ? "dark" : "light",
    );
  }
  await page.goto(`${h.url}/app`, { waitUntil: "domcontentloaded" });
  await page.waitForFunction(
    () => ["ready", "outside", "expired", "error"].includes(document.documentElement.dataset.state ?? ""),
    { timeout: 15_000 },
  );
  return {
    page,
    requests,
    text: (selector = "body") => page.$eval(selector, (el) => (el as HTMLElement).innerText),
    // deno-lint-ignore no-explicit-any
    calls: () => page.evaluate(() => (window as any).__tgCalls ?? []),
    close: () => page.close(),
  };
}

Deno.test({
  name: "mini app page in headless Chromium: member with access, without access, Russian, outside Telegram",
  ignore: !haveChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const h = await startHarness();
    const chromium = await launchChromium("miniapp-chromium-");
    const browser = chromium.browser;
    try {
      const now = Date.now();
      // Member 7201: a Tribute subscription (auto-renewing), a refunded Stars payment, and a manual
      // grant queued after the subscription.
      await h.sql`update public.plans set tribute_link = ${TRIBUTE_LINK} where code = 'month'`;
      await h.sql`select public.apply_star_payment(7201, 'month', 250, 'XTR', 'charge-7201')`;
      await h.sql`select public.refund_star_payment('charge-7201')`;
      const res = await h.postTribute({
        name: "new_subscription",
        created_at: new Date(now - 5 * DAY).toISOString(),
        sent_at: new Date(now - 5 * DAY).toISOString(),
        payload: {
          subscription_id: 501,
          subscription_name: "Monthly",
          telegram_user_id: 7201,
          expires_at: new Date(now + 25 * DAY).toISOString(),
          amount: 700,
          currency: "eur",
          period: "monthly",
        },
      });
      assert.equal(res.status, 200, await res.text());
      await h.sql`select public.grant_access(7201, 7, ${ADMIN_ID}, 'page-test')`;
      // Member 7203 (Russian): a manual grant.
      await h.sql`select public.grant_access(7203, 30, ${ADMIN_ID}, 'page-test-ru')`;
      await h.settle();
      h.telegram.reset();

      await t.step("member with access: access, timeline, plans, theme; screenshot", async () => {
        const app = await openApp(browser, h, { user: { id: 7201, first_name: "Ann", language_code: "en" } });
        try {
          assert.ok(
            app.requests.some((r) => r === "GET https://telegram.org/js/telegram-web-app.js"),
            "the page loads Telegram's script",
          );
          const access = await app.text("#access");
          assert.match(access, /Active until \d{1,2} \w{3} \d{4}/);
          assert.match(access, /Source\s+Tribute/);
          assert.match(access, /Auto-renewal\s+on/);
          const timeline = await app.text("#timeline");
          assert.match(timeline, /Tribute · subscription\s*active/);
          assert.match(timeline, /Telegram Stars · purchase\s*refunded/);
          assert.match(timeline, /Manual grant · grant\s*upcoming/);
          assert.equal(await app.page.$$eval("#timeline .badge.refunded", (els) => els.length), 1);
          const plans = await app.page.$$eval(
            "#plans .plan",
            (els) => els.map((e) => (e as HTMLElement).innerText.replace(/\s+/g, " ").trim()),
          );
          assert.equal(plans.length, 3);
          assert.match(plans[0], /^1 month 30 days Pay with Tribute Pay 250 ⭐$/);
          assert.match(plans[2], /1 year 365 days Pay 2200 ⭐/);
          assert.match(await app.text("#support"), /Payment problems\?.*\n*.*\/paysupport/s);
          // Telegram's theme colours reach the page
          const bg = await app.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          assert.equal(bg, "rgb(240, 240, 240)");
          const calls = await app.calls();
          assert.ok(calls.some((c) => c[0] === "ready"));
          assert.ok(calls.some((c) => c[0] === "setHeaderColor" && c[1] === "secondary_bg_color"));

          await Deno.mkdir(new URL("../../.local", import.meta.url).pathname, { recursive: true });
          await app.page.screenshot({ path: RUN_SCREENSHOT, fullPage: true });
          if (updateDocsScreenshot) await Deno.copyFile(RUN_SCREENSHOT, DOCS_SCREENSHOT);

          // Tribute: a t.me link opens inside Telegram
          await app.page.click('#plans .plan[data-plan="month"] button[data-pay="tribute"]');
          // Stars: the server creates the invoice link, the page opens it with openInvoice
          await app.page.click('#plans .plan[data-plan="month"] button[data-pay="stars"]');
          await app.page.waitForFunction(
            // deno-lint-ignore no-explicit-any
            () => ((window as any).__tgCalls as unknown[][]).some((c) => c[0] === "openInvoice"),
            { timeout: 10_000 },
          );
          const after = await app.calls();
          assert.ok(after.some((c) => c[0] === "openTelegramLink" && c[1] === TRIBUTE_LINK));
          const [created] = h.telegram.callsOf("createInvoiceLink");
          assert.equal(created.body.currency, "XTR");
          assert.equal(created.body.payload, "plan:month");
          assert.deepEqual((created.body.prices as Array<{ amount: number }>).map((p) => p.amount), [250]);
          const opened = after.find((c) => c[0] === "openInvoice")!;
          assert.match(String(opened[1]), /^https:\/\/t\.me\/\$fakeinvoice\d+$/);
        } finally {
          await app.close();
        }
      });

      await t.step("member without access: says so, offers the plans", async () => {
        const app = await openApp(browser, h, { user: { id: 7202, language_code: "en-US" } });
        try {
          const access = await app.text("#access");
          assert.match(access, /No access yet/);
          assert.doesNotMatch(access, /Active until/);
          assert.match(await app.text("#timeline"), /Nothing yet\./);
          assert.equal(await app.page.$$eval("#plans .plan", (els) => els.length), 3);
        } finally {
          await app.close();
        }
      });

      await t.step("Russian-speaking member (language_code ru): Russian texts, dark theme", async () => {
        const app = await openApp(browser, h, {
          user: { id: 7203, first_name: "Иван", language_code: "ru" },
          theme: DARK,
          dark: true,
        });
        try {
          assert.equal(await app.page.evaluate(() => document.documentElement.lang), "ru");
          assert.equal(await app.text("h1"), "Ваша подписка");
          const access = await app.text("#access");
          assert.match(access, /Активен до \d{1,2} \S+ \d{4}/);
          assert.match(access, /Источник\s+Ручная выдача/);
          assert.match(access, /Автопродление\s+выключено/);
          assert.match(await app.text("#timeline"), /Ручная выдача · выдано вручную\s*действует/);
          assert.match(await app.text("#plans"), /30 дней[\s\S]*Оплатить 250 ⭐/);
          assert.match(await app.text("#support"), /Проблемы с оплатой[\s\S]*\/paysupport/);
          const bg = await app.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          assert.equal(bg, "rgb(15, 15, 15)");
        } finally {
          await app.close();
        }
      });

      await t.step("stale init data: the page asks to reopen it, shows no data", async () => {
        const initData = await initDataFor({ id: 7201 }, { ageSeconds: 86400 + 60 });
        const app = await openApp(browser, h, { user: { id: 7201 }, initData });
        try {
          assert.equal(await app.page.evaluate(() => document.documentElement.dataset.state), "expired");
          assert.match(await app.text("#app"), /session has expired/);
          assert.equal(await app.page.$("#access"), null);
        } finally {
          await app.close();
        }
      });

      await t.step("outside Telegram (no window.Telegram): a clear message, no data request", async () => {
        const app = await openApp(browser, h);
        try {
          assert.equal(await app.page.evaluate(() => document.documentElement.dataset.state), "outside");
          assert.match(await app.text("#app"), /Open this page from the bot's menu button in Telegram/);
          assert.ok(!app.requests.some((r) => r.startsWith("POST ")), "no data request without init data");
        } finally {
          await app.close();
        }
      });
    } finally {
      await chromium.close();
      await h.close();
    }
  },
});
