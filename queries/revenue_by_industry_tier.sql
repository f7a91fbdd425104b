-- title: Revenue by industry and tier
-- audience: finance
-- chart: bar
SELECT industry, tier, count(*) AS accounts, sum(revenue_12m) AS revenue_12m
FROM metrics_accounts
WHERE revenue_12m > 0
GROUP BY industry, tier
ORDER BY industry, tier
