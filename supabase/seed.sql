-- Example plans for a fresh project. Edit them (or insert your own) to match what you sell:
--   stars_price         price in Telegram Stars for the in-bot invoice (null: not sold for Stars)
--   tribute_product_id  the Tribute digital product that grants this plan (new_digital_product webhooks)
--   tribute_link        the Tribute link shown by /plans (subscription or product page)
-- Re-running the seed never overwrites plans you changed.
insert into public.plans (code, title, duration_days, stars_price, tribute_product_id, tribute_link, active)
values
  ('month',    '1 month',  30,  250, null, null, true),
  ('quarter',  '3 months', 90,  650, null, null, true),
  ('year',     '1 year',   365, 2200, null, null, true)
on conflict (code) do nothing;
