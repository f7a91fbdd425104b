//! Revenue at risk on the finance page: employees by sole-holder revenue (the `employees`
//! metric table).

use polars::prelude::DataFrame;

use super::EmployeeRow;
use crate::contract::metric_tables::{employees as col, SchemaError};

/// Employees holding revenue alone, by that revenue descending, the top `top_n`.
pub(super) fn at_risk(
    table: Option<&DataFrame>,
    top_n: usize,
) -> Result<Vec<EmployeeRow>, SchemaError> {
    let Some(df) = table else {
        return Ok(Vec::new());
    };
    let id = col::EMPLOYEE_ID.strs(df)?;
    let role = col::ROLE.strs(df)?;
    let team = col::TEAM.strs(df)?;
    let held = col::ACCOUNTS_HELD.f64s(df)?;
    let sole = col::SOLE_HOLDER_REVENUE.f64s(df)?;
    let owned = col::OWNED_REVENUE.f64s(df)?;
    let mut at_risk: Vec<EmployeeRow> = (0..df.height())
        .map(|i| EmployeeRow {
            employee_id: id[i].clone().unwrap_or_default(),
            role: role[i].clone(),
            team: team[i].clone(),
            accounts_held: held[i],
            sole_holder_revenue: sole[i],
            owned_revenue: owned[i],
        })
        .collect();
    at_risk.retain(|e| e.sole_holder_revenue.is_some_and(|v| v > 0.0));
    at_risk.sort_by(|a, b| {
        b.sole_holder_revenue
            .unwrap_or(0.0)
            .total_cmp(&a.sole_holder_revenue.unwrap_or(0.0))
            .then_with(|| a.employee_id.cmp(&b.employee_id))
    });
    at_risk.truncate(top_n);
    Ok(at_risk)
}
