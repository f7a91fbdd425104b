-- title.zh: 决策者反对的决策链
-- title.en: Decision chains with opposition at the decision maker
-- audience: strategy
-- chart: table
SELECT account_id, name, tier, decision_chain_status, dm_support, kri, revenue_12m
FROM metrics_accounts
WHERE opposition
ORDER BY revenue_12m DESC
