// Bot API JSON calls made by directJsonCalls (telegram/api.ts) instead of grammY's client: the same
// request (nulls left out), Telegram's errors as GrammyError, an unreachable API as HttpError whose
// message does not carry the token, and uploads still through grammY.
import assert from "node:assert/strict";
import { Bot, GrammyError, HttpError, InputFile } from "grammy";
import { directJsonCalls } from "../../functions/bot/telegram/api.ts";
import { startFakeTelegram, testBotInfo } from "../support/fake_telegram.ts";

const TOKEN = "123456:TEST-direct-token";

function botAt(apiRoot: string): Bot {
  const bot = new Bot(TOKEN, { client: { apiRoot }, botInfo: testBotInfo });
  bot.api.config.use(directJsonCalls(apiRoot, TOKEN));
  return bot;
}

Deno.test("direct Bot API calls: requests, answers and errors as grammY's client gives them", async () => {
  const fake = startFakeTelegram({ token: TOKEN });
  try {
    const bot = botAt(fake.apiRoot);
    const m = await bot.api.sendMessage(42, "hello", {
      reply_markup: undefined,
      message_thread_id: null as never,
    });
    assert.equal(m.text, "hello");
    assert.deepEqual(
      fake.callsOf("sendMessage")[0].body,
      { chat_id: 42, text: "hello" },
      "null and undefined left out",
    );
    assert.equal(fake.callsOf("sendMessage")[0].token, TOKEN);

    fake.failNext("sendMessage", { status: 403 });
    const refused = await bot.api.sendMessage(42, "x").catch((e) => e);
    assert.ok(refused instanceof GrammyError);
    assert.equal(refused.error_code, 403);
    assert.equal(refused.method, "sendMessage");

    // an upload is left to grammY's own client (multipart): the transformer hands it to `prev`
    const upload = { chat_id: 42, document: new InputFile(new TextEncoder().encode("hi"), "a.txt") };
    const viaGrammy = { ok: true as const, result: "multipart" };
    const direct = directJsonCalls(fake.apiRoot, TOKEN);
    assert.equal(
      await direct(() => Promise.resolve(viaGrammy) as never, "sendDocument", upload as never),
      viaGrammy,
    );
    assert.equal(fake.callsOf("sendDocument").length, 0);
  } finally {
    await fake.close();
  }
});

Deno.test("direct Bot API calls: an unreachable API is an HttpError without the token", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const bot = botAt(`http://127.0.0.1:${port}`);
  const err = await bot.api.sendMessage(42, "x").catch((e) => e);
  assert.ok(err instanceof HttpError, String(err));
  assert.equal(err.message.includes(TOKEN), false);
  assert.match(err.message, /sendMessage/);
});
