CREATE VIEW public.order_totals AS
    SELECT a.email, count(o.id) AS orders, coalesce(sum(o.total), 0) AS total
    FROM public.accounts a LEFT JOIN public.orders o ON o.account_id = a.id
    GROUP BY a.email;
