//! Writes the JSON schema of MOET's messages (cw20-base 2.0's own) into ./schema (run through
//! scripts/schema.sh, which puts it into schema/moet/). The TypeScript client generates its cw20
//! client from it, used for MOET and for any other cw20-base token (a cw20 collateral).
use cosmwasm_schema::write_api;
use cw20_base::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

fn main() {
    write_api! {
        instantiate: InstantiateMsg,
        execute: ExecuteMsg,
        query: QueryMsg,
        migrate: MigrateMsg,
    }
}
