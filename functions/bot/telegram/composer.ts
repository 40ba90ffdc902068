// grammY's Composer with filters that cost one predicate call per update.
//
// grammY builds every filter (`command`, `on`, `chatType`, `callbackQuery`, ...) on `branch`, and
// `branch` on `lazy`: for each update and each filter it passes, matching or not, it constructs a new
// Composer and its chain of closures and promises. The bot registers ~30 filters, so a `/status` went
// through ~20 of those constructions before reaching its handler: 40% of the bytes allocated per update
// and the largest grammY cost in the CPU profile (the young-generation GC it causes included). Here a
// filter is one middleware that calls the predicate and then the true or false branch, resolved at
// call time as grammY does (handlers registered on the returned composer later still count).
import { Composer as GrammyComposer, type Context, type Middleware, type MiddlewareFn } from "grammy";

type MaybePromise<T> = T | Promise<T>;
type MaybeArray<T> = T | T[];

const pass: MiddlewareFn<Context> = (_ctx, next) => next();

/** The middleware function of a handler, a composer or a list of them (a composer read at each call). */
function toFn<C extends Context>(middleware: MaybeArray<Middleware<C>>): MiddlewareFn<C> {
  if (Array.isArray(middleware)) {
    return middleware.length === 1 ? toFn(middleware[0]) : new Composer<C>(...middleware).middleware();
  }
  if (typeof middleware === "function") return middleware;
  return (ctx, next) => middleware.middleware()(ctx, next);
}

export class Composer<C extends Context> extends GrammyComposer<C> {
  override filter<D extends C>(predicate: (ctx: C) => ctx is D, ...middleware: Array<Middleware<D>>): Composer<D>;
  override filter(predicate: (ctx: C) => MaybePromise<boolean>, ...middleware: Array<Middleware<C>>): Composer<C>;
  override filter(predicate: (ctx: C) => MaybePromise<boolean>, ...middleware: Array<Middleware<C>>): Composer<C> {
    // a lean composer, so that the filters registered on what this returns are lean too
    const composer = new Composer<C>(...middleware);
    this.branch(predicate, composer, pass);
    return composer;
  }

  override branch(
    predicate: (ctx: C) => MaybePromise<boolean>,
    trueMiddleware: MaybeArray<Middleware<C>>,
    falseMiddleware: MaybeArray<Middleware<C>>,
  ): GrammyComposer<C> {
    const yes = toFn(trueMiddleware);
    const no = toFn(falseMiddleware);
    return this.use((ctx, next) => {
      const ok = predicate(ctx);
      if (ok instanceof Promise) return ok.then((v) => (v ? yes : no)(ctx, next));
      return (ok ? yes : no)(ctx, next);
    });
  }
}
