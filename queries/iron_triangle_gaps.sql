-- title.zh: S/A 客户的铁三角缺口
-- title.en: Iron-triangle gaps of S/A accounts
-- audience: leadership
-- chart: table
SELECT account_id, name, tier, iron_triangle, iron_triangle_missing, revenue_12m
FROM metrics_accounts
WHERE tier IN ('S', 'A') AND iron_triangle < 1
ORDER BY iron_triangle, revenue_12m DESC
