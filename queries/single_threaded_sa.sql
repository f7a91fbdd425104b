-- title.zh: 单线联系的 S/A 客户及其收入
-- title.en: Single-threaded S/A accounts and their revenue
-- audience: leadership
-- chart: bar
SELECT name, account_id, tier, revenue_12m, bus_factor, holders
FROM metrics_accounts
WHERE tier IN ('S', 'A') AND single_threaded
ORDER BY revenue_12m DESC
