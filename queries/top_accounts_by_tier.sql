-- title.zh: 各等级收入最高的客户
-- title.en: Top accounts by tier
-- audience: strategy
-- chart: table
SELECT tier, account_id, name, industry, revenue_12m, value_score, rdi, quadrant
FROM metrics_accounts
WHERE tier IS NOT NULL
ORDER BY CASE tier WHEN 'S' THEN 0 WHEN 'A' THEN 1 WHEN 'B' THEN 2 ELSE 3 END, revenue_12m DESC
LIMIT 30
