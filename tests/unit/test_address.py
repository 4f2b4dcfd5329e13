"""Service addresses: free text split into street, unit, city, state and zip (issue 5)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from desktop.domain.address import Address, check_address, parse_address

# (what the receptionist typed, (street, unit, city, state, zip))
CASES = [
    # the everyday shapes
    ("2214 W Belmont Ave Apt 3B, Chicago, IL 60618",
     ("2214 W Belmont Ave", "Apt 3B", "Chicago", "IL", "60618")),
    ("4500 SE Hawthorne Blvd, Portland OR 97215",
     ("4500 SE Hawthorne Blvd", "", "Portland", "OR", "97215")),
    ("1600 Pennsylvania Ave NW, Washington, DC 20500",
     ("1600 Pennsylvania Ave NW", "", "Washington", "DC", "20500")),
    ("350 5th Ave, New York, NY 10118", ("350 5th Ave", "", "New York", "NY", "10118")),
    ("8 Avenue of the Americas, New York, New York 10001",
     ("8 Avenue of the Americas", "", "New York", "NY", "10001")),
    ("123 Main St San Jose CA 95112", ("123 Main St", "", "San Jose", "CA", "95112")),
    ("123 1/2 Main St, Anytown, PA 19001",
     ("123 1/2 Main St", "", "Anytown", "PA", "19001")),
    ("2214 W. Belmont Ave., Chicago, Ill. 60618",
     ("2214 W. Belmont Ave.", "", "Chicago", "IL", "60618")),
    # units
    ("55 Elm St Unit 2, Portland, Maine 04101",
     ("55 Elm St", "Unit 2", "Portland", "ME", "04101")),
    ("123 Main St #12 Springfield IL 62701",
     ("123 Main St", "#12", "Springfield", "IL", "62701")),
    ("123 Main Street # 3, Dayton, OH 45402",
     ("123 Main Street", "#3", "Dayton", "OH", "45402")),
    ("4 Privet Dr #B, Little Whinging, NJ 07001",
     ("4 Privet Dr", "#B", "Little Whinging", "NJ", "07001")),
    ("500 N Michigan Ave Ste 200 Chicago IL 60611",
     ("500 N Michigan Ave", "Ste 200", "Chicago", "IL", "60611")),
    ("Suite 200, 500 N Michigan Ave, Chicago, IL 60611",
     ("500 N Michigan Ave", "Suite 200", "Chicago", "IL", "60611")),
    ("123 Main St Apt #4, Chicago IL 60618",
     ("123 Main St", "Apt #4", "Chicago", "IL", "60618")),
    ("3010 Lakeview Ave Apt. 2R, Chicago, Il 60657",
     ("3010 Lakeview Ave", "Apt. 2R", "Chicago", "IL", "60657")),
    ("9 Main St Fl 2, Denver CO 80202", ("9 Main St", "Fl 2", "Denver", "CO", "80202")),
    ("15 Garden Apartments Unit 12, Akron OH 44301",
     ("15 Garden Apartments", "Unit 12", "Akron", "OH", "44301")),
    ("Lot 14, 300 Pine Rd, Ocala FL 34470",
     ("300 Pine Rd", "Lot 14", "Ocala", "FL", "34470")),
    # rural routes, PO boxes, military mail: the box is the "street"
    ("RR 2 Box 15, Ames, IA 50010", ("RR 2 Box 15", "", "Ames", "IA", "50010")),
    ("Rural Route 3 Box 120, Hays, KS 67601",
     ("Rural Route 3 Box 120", "", "Hays", "KS", "67601")),
    ("HC 1 Box 40, Marfa, TX 79843", ("HC 1 Box 40", "", "Marfa", "TX", "79843")),
    ("1234 County Road 56, Fort Collins, CO 80524",
     ("1234 County Road 56", "", "Fort Collins", "CO", "80524")),
    ("N6045 County Rd M, Plymouth, WI 53073",
     ("N6045 County Rd M", "", "Plymouth", "WI", "53073")),
    ("PO Box 456, Austin, TX 78701", ("PO Box 456", "", "Austin", "TX", "78701")),
    ("P.O. Box 12, Boise ID 83702", ("P.O. Box 12", "", "Boise", "ID", "83702")),
    ("PSC 1234 Box 5678, APO AE 09021", ("PSC 1234 Box 5678", "", "APO", "AE", "09021")),
    # parts missing
    ("100 Main St", ("100 Main St", "", "", "", "")),
    ("742 Evergreen Terrace, Springfield",
     ("742 Evergreen Terrace", "", "Springfield", "", "")),
    ("123 Main St, 60618", ("123 Main St", "", "", "", "60618")),
    ("123 Main St, Chicago, Illinois", ("123 Main St", "", "Chicago", "IL", "")),
    # typed in a hurry: lowercase, stray commas and spaces, other separators
    ("2214 w belmont ave apt 3b chicago il 60618",
     ("2214 w belmont ave", "apt 3b", "chicago", "IL", "60618")),
    ("123 main st apt 4 chicago illinois 60618",
     ("123 main st", "apt 4", "chicago", "IL", "60618")),
    ("12 Oak St, , Boston,, MA, 02108", ("12 Oak St", "", "Boston", "MA", "02108")),
    ("12 Oak St.,, Boston,,, MA 02108,", ("12 Oak St.", "", "Boston", "MA", "02108")),
    ("  123   Main    St  ,Chicago ,  IL   60618 ",
     ("123 Main St", "", "Chicago", "IL", "60618")),
    ("123 Main St;Chicago;IL;60618", ("123 Main St", "", "Chicago", "IL", "60618")),
    ("1 Main St, Springfield, il, 62701", ("1 Main St", "", "Springfield", "IL", "62701")),
    # zip+4 in its spellings; full and old-style state names
    ("12 Oak St., Boston, Massachusetts 02108-4321",
     ("12 Oak St.", "", "Boston", "MA", "02108-4321")),
    ("123 Main St, Chicago, IL 606181234",
     ("123 Main St", "", "Chicago", "IL", "60618-1234")),
    ("1 Infinite Loop, Cupertino, California 95014",
     ("1 Infinite Loop", "", "Cupertino", "CA", "95014")),
    ("77 Massachusetts Ave, Cambridge, Mass. 02139",
     ("77 Massachusetts Ave", "", "Cambridge", "MA", "02139")),
    ("5 Main St, Albany, N.Y. 12207", ("5 Main St", "", "Albany", "NY", "12207")),
    # businesses and buildings: the name stays with the street, never dropped
    ("Acme Plumbing, 500 N Michigan Ave Suite 200, Chicago, Illinois 60611-1234",
     ("Acme Plumbing, 500 N Michigan Ave", "Suite 200", "Chicago", "IL", "60611-1234")),
    ("Joe's Pizza 1200 W Diversey Pkwy Chicago IL 60614",
     ("Joe's Pizza, 1200 W Diversey Pkwy", "", "Chicago", "IL", "60614")),
    ("One World Trade Center, New York, NY 10007",
     ("One World Trade Center", "", "New York", "NY", "10007")),
    ("Belmont Ave & Clark St, Chicago, IL",
     ("Belmont Ave & Clark St", "", "Chicago", "IL", "")),
    # notes and words the model has no part for stay in street
    ("123 Main St. Apt 3 Chicago, IL 60618 (side door)",
     ("123 Main St. (side door)", "Apt 3", "Chicago", "IL", "60618")),
    ("123 Main St, Chicago, IL 60618, USA",
     ("123 Main St USA", "", "Chicago", "IL", "60618")),
    # not an address at all, or not one the model can split: kept whole in street
    ("call me back tomorrow", ("call me back tomorrow", "", "", "", "")),
    ("the blue house by the church", ("the blue house by the church", "", "", "", "")),
    ("asdf qwerty zxcv", ("asdf qwerty zxcv", "", "", "", "")),
    ("???", ("???", "", "", "", "")),
    ("123 Main St Apt 4 Apt 5",  # two units: usaddress raises RepeatedLabelError
     ("123 Main St Apt 4 Apt 5", "", "", "", "")),
    ("*gate code 1234* 55 Elm St", ("*gate code 1234* 55 Elm St", "", "", "", "")),
]


def parts(address: Address) -> tuple[str, str, str, str, str]:
    return (address.street, address.unit, address.city, address.state, address.zip)


def words(text: str) -> list[str]:
    return sorted(re.findall(r"\w+", text.casefold()))


def test_there_are_enough_realistic_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("text, expected", CASES, ids=[text for text, _ in CASES])
def test_the_address_is_split_into_its_parts(text, expected):
    assert parts(parse_address(text)) == expected


@pytest.mark.parametrize("text, expected", CASES, ids=[text for text, _ in CASES])
def test_one_line_parses_back_to_the_same_parts(text, expected):
    address = parse_address(text)
    assert parse_address(address.one_line()) == address


@pytest.mark.parametrize("text", [text for text, _ in CASES])
def test_no_word_is_ever_lost(text):
    """Every word typed is somewhere in the result; the only rewrites are the state
    (written out -> its code) and a run-together zip+4 (606181234 -> 60618-1234)."""
    address = parse_address(text)
    kept = set(words(" ".join(parts(address)) + " " + address.zip.replace("-", "")))
    missing = [word for word in re.findall(r"\w+", text.casefold()) if word not in kept]
    if missing:  # then they must be the state as written, which check_address knows
        hint = check_address(Address("", state=" ".join(missing)))
        assert hint == {"state": f"Use the two-letter state code: {address.state}."}


def test_one_line_joins_the_parts_the_usual_way():
    address = Address("2214 W Belmont Ave", "Apt 3B", "Chicago", "IL", "60618")
    assert address.one_line() == "2214 W Belmont Ave Apt 3B, Chicago, IL 60618"
    assert Address("100 Main St").one_line() == "100 Main St"
    assert Address("100 Main St", zip="60618").one_line() == "100 Main St, 60618"
    assert Address("", city="Chicago", state="IL").one_line() == "Chicago, IL"
    assert Address("").one_line() == ""


def test_is_empty():
    assert Address("").is_empty
    assert Address("  ", unit=" ").is_empty
    assert parse_address("").is_empty
    assert parse_address("   ,  ,").is_empty
    assert not Address("", zip="60618").is_empty
    assert not parse_address("100 Main St").is_empty


def test_address_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Address("100 Main St").city = "Chicago"  # type: ignore[misc]


def test_a_bare_unit_or_city_is_not_forced_into_street():
    assert parts(parse_address("#3")) == ("", "#3", "", "", "")
    assert parts(parse_address("Apt 3B")) == ("", "Apt 3B", "", "", "")
    assert parts(parse_address("Chicago IL")) == ("", "", "Chicago", "IL", "")


def test_odd_input_never_raises():
    for text in ["", " ", "\n\t", ",,,", "#", "&", "½", "🙂 🙂", "x" * 2000, "1" * 40,
                 "Apt Apt Apt", "IL IL IL", "60618 60618"]:
        address = parse_address(text)
        assert isinstance(address, Address)
        assert words(text) == words(" ".join(parts(address)))


# -- check_address ----------------------------------------------------------------------

def test_a_good_address_has_no_problems():
    for text, _ in CASES[:30]:
        assert check_address(parse_address(text)) == {}, text


def test_empty_parts_are_not_problems_here():
    assert check_address(Address("")) == {}
    assert check_address(Address("100 Main St")) == {}


@pytest.mark.parametrize("zip_code", ["6061", "606180", "6061-1234", "K1A 0B1", "ABCDE",
                                      "60618-12"])
def test_a_zip_that_is_not_5_digits_is_named(zip_code):
    problems = check_address(Address("100 Main St", city="Chicago", state="IL",
                                     zip=zip_code))
    assert set(problems) == {"zip"}
    assert "5 digits" in problems["zip"]


def test_an_unformatted_zip_plus_4_gets_the_right_spelling():
    problems = check_address(Address("100 Main St", zip="606181234"))
    assert problems == {"zip": "ZIP code should be written 60618-1234."}


@pytest.mark.parametrize("zip_code", ["60618", "02108", "60618-1234"])
def test_5_and_5_4_digit_zips_are_fine(zip_code):
    assert check_address(Address("100 Main St", zip=zip_code)) == {}


@pytest.mark.parametrize("state", ["XX", "Ontario", "I", "Chicago", "USA"])
def test_a_state_that_is_not_a_us_state_is_named(state):
    problems = check_address(Address("100 Main St", state=state))
    assert set(problems) == {"state"}
    assert "not a US state" in problems["state"]


def test_a_state_written_in_full_is_told_its_code():
    assert check_address(Address("100 Main St", state="Illinois")) == {
        "state": "Use the two-letter state code: IL."}


@pytest.mark.parametrize("state", ["IL", "il", "DC", "PR", "AE"])
def test_state_codes_are_fine(state):
    assert check_address(Address("100 Main St", state=state)) == {}


def test_both_problems_are_reported_together():
    problems = check_address(parse_address("123 Main St, Chicago, XX 6061"))
    assert set(problems) == {"state", "zip"}
