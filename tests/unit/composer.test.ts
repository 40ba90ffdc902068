// The lean Composer (telegram/composer.ts) means what grammY's does: filters pass matching updates to
// their handlers (also to handlers registered after the filter was), others go on down the chain;
// predicates may be async; `next` twice is an error; order is registration order.
import assert from "node:assert/strict";
import { Bot, type Context } from "grammy";
import { Composer } from "../../functions/bot/telegram/composer.ts";
import { messageUpdate, testBotInfo } from "../support/fake_telegram.ts";

async function run(root: Composer<Context>, text: string) {
  const bot = new Bot("1:x", { botInfo: testBotInfo });
  bot.use(root);
  await bot.handleUpdate(messageUpdate({ from: { id: 5 }, text }) as never);
}

Deno.test("composer: commands, chat types, late registration, fall-through and order", async () => {
  const seen: string[] = [];
  const root = new Composer<Context>();
  root.use(async (_ctx, next) => {
    seen.push("first");
    await next();
    seen.push("first after");
  });
  const pm = root.chatType("private");
  pm.command("a", () => void seen.push("a"));
  const group = root.chatType(["group", "supergroup"]);
  group.command("b", () => void seen.push("group b"));
  root.on("message:text", (_ctx, next) => (seen.push("text"), next()));
  // registered after the filters above were built: still reached
  pm.command("b", () => void seen.push("private b"));
  root.use(() => void seen.push("last"));

  await run(root, "/a");
  assert.deepEqual(seen.splice(0), ["first", "a", "first after"]);
  await run(root, "/b");
  assert.deepEqual(seen.splice(0), ["first", "private b", "first after"]);
  await run(root, "hello");
  assert.deepEqual(seen.splice(0), ["first", "text", "last", "first after"]);
});

Deno.test("composer: async predicates, branch with lists, drop, and next called twice", async () => {
  const seen: string[] = [];
  const root = new Composer<Context>();
  root.branch(
    async (ctx) => (await Promise.resolve(ctx.msg?.text)) === "/yes",
    [(_c, next) => (seen.push("yes 1"), next()), () => void seen.push("yes 2")],
    (_c, next) => (seen.push("no"), next()),
  );
  root.drop((ctx) => ctx.msg?.text === "/twice", () => void seen.push("not dropped"));
  root.filter((ctx) => ctx.msg?.text === "/twice", async (_c, next) => {
    await next();
    await next();
  });
  root.use((_c, next) => next());
  await run(root, "/yes");
  assert.deepEqual(seen.splice(0), ["yes 1", "yes 2"]);
  await run(root, "/other");
  assert.deepEqual(seen.splice(0), ["no", "not dropped"]);
  await assert.rejects(run(root, "/twice"), /next` already called/);
});
