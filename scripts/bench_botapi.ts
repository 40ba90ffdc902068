/**
 * The fake Bot API of `npm run bench`: answers every method at once (getMe, sendMessage,
 * createChatInviteLink; anything else `true`), in its own process so that it does not share an event
 * loop with the load generator.
 *
 *   deno run -A scripts/bench_botapi.ts   (env: BOTAPI_PORT)
 */
const port = Number(Deno.env.get("BOTAPI_PORT") ?? 54491);
let messageId = 1;
const bot = { id: 100000, is_bot: true, first_name: "Bench", username: "bench_bot" };

Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req) => {
  const method = new URL(req.url).pathname.split("/").pop();
  if (req.method === "GET" && method === "") return Response.json({ ok: true });
  const body = req.method === "POST" ? await req.json().catch(() => ({})) : {};
  let result: unknown = true;
  if (method === "getMe") result = { ...bot, can_join_groups: true, can_read_all_group_messages: false };
  else if (method === "sendMessage") {
    result = {
      message_id: messageId++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: body.chat_id, type: "private" },
      text: body.text,
    };
  } else if (method === "createChatInviteLink") {
    result = {
      invite_link: `https://t.me/+bench${messageId++}`,
      creator: bot,
      creates_join_request: false,
      is_primary: false,
      is_revoked: false,
    };
  }
  return Response.json({ ok: true, result });
});
