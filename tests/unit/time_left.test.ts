// The reminder's "time left" (issue #14 item 6): what is really left when it is sent, in both languages,
// instead of a rounded-up number of days ("3 days" with 2 days 6 hours left).
import assert from "node:assert/strict";
import { renderOutboxText } from "../../functions/bot/outbox/deliver.ts";
import { enTimeLeft, ruTimeLeft, texts, timeLeft } from "../../functions/bot/telegram/texts.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

Deno.test("time left: days + hours, hours + minutes, minutes (English)", () => {
  const cases: Array<[number, string]> = [
    [2 * DAY + 6 * HOUR, "in 2 days 6 hours"],
    [DAY, "in 1 day"],
    [23 * HOUR, "in 23 hours"],
    [59 * MIN, "in 59 minutes"],
    [5 * HOUR, "in 5 hours"],
    [40 * MIN, "in 40 minutes"],
    [HOUR + 30 * MIN, "in 1 hour 30 minutes"],
    [3 * DAY, "in 3 days"],
    [DAY + HOUR, "in 1 day 1 hour"],
    [MIN, "in 1 minute"],
    [20_000, "in less than a minute"],
    [0, "in less than a minute"],
    [-5 * MIN, "in less than a minute"],
  ];
  for (const [ms, text] of cases) assert.equal(enTimeLeft(ms), text, `${ms} ms`);
});

Deno.test("time left: rounded to the nearest unit shown, never a unit of 24 hours or 60 minutes", () => {
  assert.equal(enTimeLeft(2 * DAY + 6 * HOUR + 20 * MIN), "in 2 days 6 hours");
  assert.equal(enTimeLeft(2 * DAY + 6 * HOUR + 40 * MIN), "in 2 days 7 hours");
  assert.equal(enTimeLeft(3 * DAY - MIN), "in 3 days", "a 3-day reminder sent a minute late");
  assert.equal(enTimeLeft(DAY - 20_000), "in 1 day");
  assert.equal(enTimeLeft(DAY - 40_000), "in 23 hours 59 minutes");
  assert.equal(enTimeLeft(HOUR - 20_000), "in 1 hour");
  assert.equal(enTimeLeft(HOUR - 40_000), "in 59 minutes");
  for (let ms = 0; ms < 4 * DAY; ms += 7 * MIN + 13_000) {
    const { days, hours, minutes } = timeLeft(ms);
    assert.ok(hours < 24 && minutes < 60, `${ms}: ${days} ${hours} ${minutes}`);
    assert.ok(days === 0 || minutes === 0, "at most two units");
    const shown = days * DAY + hours * HOUR + minutes * MIN;
    assert.ok(Math.abs(shown - ms) <= (days ? HOUR / 2 : MIN / 2), `${ms} shown as ${shown}`);
  }
});

Deno.test("time left: Russian forms after «через» (1, 2, 5, 11, 21, 22)", () => {
  const cases: Array<[number, string]> = [
    [2 * DAY + 6 * HOUR, "через 2 дня 6 часов"],
    [DAY, "через 1 день"],
    [23 * HOUR, "через 23 часа"],
    [59 * MIN, "через 59 минут"],
    [20_000, "менее чем через минуту"],
    // days
    [2 * DAY, "через 2 дня"],
    [5 * DAY, "через 5 дней"],
    [11 * DAY, "через 11 дней"],
    [21 * DAY, "через 21 день"],
    [22 * DAY, "через 22 дня"],
    // hours
    [HOUR, "через 1 час"],
    [2 * HOUR, "через 2 часа"],
    [5 * HOUR, "через 5 часов"],
    [11 * HOUR, "через 11 часов"],
    [21 * HOUR, "через 21 час"],
    [22 * HOUR, "через 22 часа"],
    // minutes (accusative: «через 1 минуту», «через 21 минуту»)
    [MIN, "через 1 минуту"],
    [2 * MIN, "через 2 минуты"],
    [5 * MIN, "через 5 минут"],
    [11 * MIN, "через 11 минут"],
    [21 * MIN, "через 21 минуту"],
    [22 * MIN, "через 22 минуты"],
    // mixed
    [DAY + 21 * HOUR, "через 1 день 21 час"],
    [11 * HOUR + 22 * MIN, "через 11 часов 22 минуты"],
  ];
  for (const [ms, text] of cases) assert.equal(ruTimeLeft(ms), text, `${ms} ms`);
});

Deno.test("time left: English plurals (1, 2, 5, 11, 21, 22)", () => {
  for (const n of [2, 5, 11, 21, 22]) {
    assert.equal(enTimeLeft(n * DAY), `in ${n} days`);
    assert.equal(enTimeLeft(n * MIN), `in ${n} minutes`);
  }
  for (const n of [2, 5, 11, 21, 22]) assert.equal(enTimeLeft(n * HOUR), `in ${n} hours`);
  assert.equal(enTimeLeft(DAY + HOUR), "in 1 day 1 hour");
});

Deno.test("reminder: rendered from `until` at send time, whatever days_left the row carries", () => {
  const now = Date.parse("2026-11-26T12:00:00Z");
  const until = new Date(now + 2 * DAY + 6 * HOUR).toISOString();
  const params = { until, days_left: 3 };
  const en = renderOutboxText(texts.en, "reminder", params, null, now);
  assert.match(en, /^⏰ Your access ends in 2 days 6 hours \(2026-11-28 18:00 UTC\)\./);
  assert.doesNotMatch(en, /3 days/);
  const ru = renderOutboxText(texts.ru, "reminder", params, null, now);
  assert.match(ru, /^⏰ Доступ закончится через 2 дня 6 часов \(2026-11-28 18:00 UTC\)\./);
  // the same row sent later says less
  assert.match(renderOutboxText(texts.en, "reminder", params, null, now + 2 * DAY), /ends in 6 hours /);
  assert.match(
    renderOutboxText(texts.ru, "reminder", params, null, now + 2 * DAY + 5 * HOUR + 20 * MIN),
    /через 40 минут /,
  );
  assert.throws(
    () => renderOutboxText(texts.en, "reminder", { days_left: 3 }, null, now),
    /needs params.until/,
  );
});
