//! Export profiles: TOML files mapping a CRM export onto the canonical contract.
