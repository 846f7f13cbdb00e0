//! Writes the JSON schema of the liquidator's messages into ./schema (run through scripts/schema.sh,
//! which puts it into schema/liquidator/).
use cosmwasm_schema::write_api;
use keel_types::liquidator::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() {
    write_api! {
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    }
}
