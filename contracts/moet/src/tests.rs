//! MOET against cw20-base: the same messages on both give the same answers, errors, balances and
//! supply; MOET alone keeps no zero balance in storage.
use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockApi};
use cosmwasm_std::{from_json, to_json_binary, Addr, Binary, OwnedDeps, Uint128};
use cw20::{AllAccountsResponse, BalanceResponse, Cw20Coin, MinterResponse, TokenInfoResponse};
use cw20_base::msg::{ExecuteMsg, InstantiateMsg, QueryMsg};
use cw20_base::state::BALANCES;

use crate::contract;

type Deps = OwnedDeps<cosmwasm_std::MemoryStorage, MockApi, cosmwasm_std::testing::MockQuerier>;

/// The two tokens side by side: cw20-base's own entry points and MOET's.
struct Pair {
    reference: Deps,
    moet: Deps,
    accounts: Vec<Addr>,
}

fn addr(name: &str) -> Addr {
    MockApi::default().addr_make(name)
}

impl Pair {
    fn new() -> Self {
        let accounts: Vec<Addr> = ["alice", "bob", "carol", "market", "liquidator"]
            .into_iter()
            .map(addr)
            .collect();
        let msg = InstantiateMsg {
            name: "MOET".to_string(),
            symbol: "MOET".to_string(),
            decimals: 6,
            initial_balances: vec![
                Cw20Coin {
                    address: addr("alice").to_string(),
                    amount: Uint128::new(100),
                },
                Cw20Coin {
                    address: addr("bob").to_string(),
                    amount: Uint128::new(50),
                },
            ],
            mint: Some(MinterResponse {
                minter: addr("market").to_string(),
                cap: None,
            }),
            marketing: None,
        };
        let mut reference = mock_dependencies();
        let mut moet = mock_dependencies();
        let info = message_info(&addr("deployer"), &[]);
        cw20_base::contract::instantiate(reference.as_mut(), mock_env(), info.clone(), msg.clone())
            .expect("reference instantiates");
        contract::instantiate(moet.as_mut(), mock_env(), info, msg).expect("moet instantiates");
        Pair {
            reference,
            moet,
            accounts,
        }
    }

    /// Runs `msg` from `sender` on both; their results, balances and supply must agree.
    /// Returns whether it succeeded.
    fn run(&mut self, sender: &str, msg: ExecuteMsg) -> bool {
        let info = message_info(&addr(sender), &[]);
        let expected = cw20_base::contract::execute(
            self.reference.as_mut(),
            mock_env(),
            info.clone(),
            msg.clone(),
        );
        let actual = contract::execute(self.moet.as_mut(), mock_env(), info, msg.clone());
        match (&expected, &actual) {
            (Ok(expected), Ok(actual)) => assert_eq!(expected, actual, "{msg:?}"),
            (Err(expected), Err(actual)) => {
                assert_eq!(expected.to_string(), actual.to_string(), "{msg:?}")
            }
            _ => panic!("{msg:?}: cw20-base {expected:?}, MOET {actual:?}"),
        }
        for account in &self.accounts {
            let query = QueryMsg::Balance {
                address: account.to_string(),
            };
            assert_eq!(
                balance(&self.reference, &query),
                balance(&self.moet, &query),
                "balance of {account} after {msg:?}"
            );
            assert_ne!(
                BALANCES
                    .may_load(&self.moet.storage, account)
                    .expect("reads"),
                Some(Uint128::zero()),
                "MOET stored a zero balance for {account} after {msg:?}"
            );
        }
        assert_eq!(supply(&self.reference), supply(&self.moet), "{msg:?}");
        actual.is_ok()
    }
}

fn balance(deps: &Deps, query: &QueryMsg) -> Uint128 {
    let answer = contract::query(deps.as_ref(), mock_env(), query.clone()).expect("balance");
    from_json::<BalanceResponse>(&answer)
        .expect("balance json")
        .balance
}

fn supply(deps: &Deps) -> Uint128 {
    let answer = contract::query(deps.as_ref(), mock_env(), QueryMsg::TokenInfo {}).expect("info");
    from_json::<TokenInfoResponse>(&answer)
        .expect("info json")
        .total_supply
}

fn hook() -> Binary {
    to_json_binary(&"hook").expect("json")
}

fn amount(n: u128) -> Uint128 {
    Uint128::new(n)
}

#[test]
fn every_balance_message_answers_as_cw20_base_does() {
    let mut pair = Pair::new();
    let market = addr("market").to_string();
    let liquidator = addr("liquidator").to_string();
    let bob = addr("bob").to_string();
    let alice = addr("alice").to_string();
    // alice's whole balance to the liquidator, which sends it on to the market, which burns it:
    // the MOET-debt liquidation's three moves, each emptying its sender.
    assert!(pair.run(
        "alice",
        ExecuteMsg::Send {
            contract: liquidator.clone(),
            amount: amount(100),
            msg: hook(),
        }
    ));
    assert!(pair.run(
        "liquidator",
        ExecuteMsg::Send {
            contract: market.clone(),
            amount: amount(100),
            msg: hook(),
        }
    ));
    assert!(pair.run(
        "market",
        ExecuteMsg::Burn {
            amount: amount(100)
        }
    ));
    // Spending more than the balance, from an emptied (deleted) balance and from a held one.
    assert!(!pair.run("alice", ExecuteMsg::Burn { amount: amount(1) }));
    assert!(!pair.run(
        "bob",
        ExecuteMsg::Transfer {
            recipient: alice.clone(),
            amount: amount(51),
        }
    ));
    // Zero amounts (cw20-base 2.x accepts them), to an account with no balance too.
    assert!(pair.run(
        "carol",
        ExecuteMsg::Transfer {
            recipient: addr("carol").to_string(),
            amount: amount(0),
        }
    ));
    assert!(pair.run(
        "bob",
        ExecuteMsg::Send {
            contract: market.clone(),
            amount: amount(0),
            msg: hook(),
        }
    ));
    // A transfer of the whole balance to oneself keeps it.
    assert!(pair.run(
        "bob",
        ExecuteMsg::Transfer {
            recipient: bob.clone(),
            amount: amount(50),
        }
    ));
    assert!(pair.run(
        "market",
        ExecuteMsg::Mint {
            recipient: alice.clone(),
            amount: amount(30),
        }
    ));
    // The allowance forms: the market pulls a top-up, a spender sends and burns for bob.
    assert!(pair.run(
        "alice",
        ExecuteMsg::IncreaseAllowance {
            spender: market.clone(),
            amount: amount(30),
            expires: None,
        }
    ));
    assert!(!pair.run(
        "market",
        ExecuteMsg::TransferFrom {
            owner: alice.clone(),
            recipient: market.clone(),
            amount: amount(31),
        }
    ));
    assert!(pair.run(
        "market",
        ExecuteMsg::TransferFrom {
            owner: alice.clone(),
            recipient: market.clone(),
            amount: amount(30),
        }
    ));
    assert!(pair.run(
        "bob",
        ExecuteMsg::IncreaseAllowance {
            spender: liquidator.clone(),
            amount: amount(100),
            expires: None,
        }
    ));
    assert!(pair.run(
        "liquidator",
        ExecuteMsg::SendFrom {
            owner: bob.clone(),
            contract: market.clone(),
            amount: amount(20),
            msg: hook(),
        }
    ));
    assert!(!pair.run(
        "liquidator",
        ExecuteMsg::BurnFrom {
            owner: bob.clone(),
            amount: amount(31),
        }
    ));
    assert!(pair.run(
        "liquidator",
        ExecuteMsg::BurnFrom {
            owner: bob.clone(),
            amount: amount(30),
        }
    ));
    assert!(pair.run("market", ExecuteMsg::Burn { amount: amount(50) }));
    assert_eq!(supply(&pair.moet), Uint128::zero());
}

#[test]
fn an_emptied_balance_is_deleted_and_leaves_the_account_list() {
    let mut pair = Pair::new();
    assert!(pair.run(
        "bob",
        ExecuteMsg::Transfer {
            recipient: addr("alice").to_string(),
            amount: amount(50),
        }
    ));
    let bob = addr("bob");
    assert_eq!(
        BALANCES
            .may_load(&pair.reference.storage, &bob)
            .expect("reads"),
        Some(Uint128::zero()),
        "cw20-base keeps the zero"
    );
    assert_eq!(
        BALANCES.may_load(&pair.moet.storage, &bob).expect("reads"),
        None
    );
    let accounts = |deps: &Deps| -> Vec<String> {
        let query = QueryMsg::AllAccounts {
            start_after: None,
            limit: None,
        };
        let answer = contract::query(deps.as_ref(), mock_env(), query).expect("accounts");
        from_json::<AllAccountsResponse>(&answer)
            .expect("accounts json")
            .accounts
    };
    assert!(accounts(&pair.reference).contains(&bob.to_string()));
    assert_eq!(accounts(&pair.moet), vec![addr("alice").to_string()]);
}
