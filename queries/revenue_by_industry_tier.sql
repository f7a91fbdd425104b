-- title.zh: 按行业和等级的收入
-- title.en: Revenue by industry and tier
-- audience: finance
-- chart: bar
SELECT industry || ' · ' || tier AS industry_tier,
       sum(revenue_12m) AS revenue_12m,
       count(*) AS accounts
FROM metrics_accounts
WHERE revenue_12m > 0
GROUP BY industry, tier
ORDER BY revenue_12m DESC
